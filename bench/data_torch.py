"""PyTorch's side of bench/data.bench.ts: images/s of torchvision's ImageFolder (PIL decode) + RandomCrop(32,
padding 4) + RandomHorizontalFlip + ToTensor + Normalize through DataLoader(num_workers=0, 1, 2), on the same files.
Usage: python3 bench/data_torch.py <image folder root> <rounds>; prints one JSON line."""
import json, sys, time
import torch
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

root, rounds = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(1)
tf = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), transforms.ToTensor(),
                         transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
ds = datasets.ImageFolder(root, transform=tf)
out = {"torch": torch.__version__, "n": len(ds), "images_per_s": {}}
loaders = {w: DataLoader(ds, batch_size=64, shuffle=True, num_workers=w, persistent_workers=w > 0) for w in (0, 1, 2)}
for l in loaders.values():  # warm-up (starts the workers)
    for _ in l: pass
times = {w: [] for w in loaders}
for _ in range(rounds):
    for w, l in loaders.items():
        t = time.perf_counter(); n = 0
        for x, y in l: n += x.shape[0]
        times[w].append(time.perf_counter() - t)
for w, ts in times.items():
    out["images_per_s"][str(w)] = {"max": len(ds) / min(ts), "median": len(ds) / sorted(ts)[len(ts) // 2]}
print(json.dumps(out))
