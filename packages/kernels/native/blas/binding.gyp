{
  "targets": [
    {
      "target_name": "kindling_blas",
      "sources": ["src/addon.cc", "src/gemm.cc", "src/conv.cc", "src/pool.cc", "src/elementwise.cc", "src/optim.cc", "src/loss.cc", "src/dense.cc"],
      "include_dirs": [
        "<!@(node -p \"require('node-addon-api').include\")",
        "/usr/include/x86_64-linux-gnu",
        "/usr/include/aarch64-linux-gnu",
        "/usr/include/openblas",
        "/opt/homebrew/opt/openblas/include",
        "/usr/local/opt/openblas/include"
      ],
      "cflags_cc": ["-O3", "-std=c++17", "-fno-math-errno", "-ffp-contract=off", "-fvisibility=hidden"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["-lopenblas", "-ldl", "-lpthread"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "conditions": [
        ["OS=='mac'", {
          "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib"]
        }]
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-fno-math-errno", "-ffp-contract=off"]
      }
    }
  ]
}
