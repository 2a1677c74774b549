{
  "variables": {
    # A path to a static OpenBLAS (libopenblas.a) links it into the addon instead of the system's libopenblas.so, for
    # the prebuilt platform packages: scripts/build-prebuilt.mjs sets KINDLING_OPENBLAS_STATIC.
    "kindling_openblas_static%": "<!(node -p \"process.env.KINDLING_OPENBLAS_STATIC || ''\")",
    # 1 compiles oneDNN in (src/dnnl.cc, define KINDLING_DNNL, -ldnnl): scripts/build-native.mjs sets
    # KINDLING_DNNL_BUILD=1 when it finds the oneDNN headers (Debian/Ubuntu: libdnnl-dev).
    "kindling_dnnl%": "<!(node -p \"process.env.KINDLING_DNNL_BUILD === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "kindling_blas",
      "sources": ["src/addon.cc", "src/addon-info.cc", "src/gemm.cc", "src/conv.cc", "src/pool.cc", "src/elementwise.cc", "src/optim.cc", "src/loss.cc", "src/dense.cc", "src/dnnl.cc", "src/dnnl-matmul.cc", "src/dnnl-conv.cc", "src/packed-cache.cc"],
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
        ["kindling_dnnl==1", {
          "defines": ["KINDLING_DNNL"],
          "libraries": ["-ldnnl"]
        }],
        ["OS=='mac'", {
          "libraries": ["-L/opt/homebrew/opt/openblas/lib", "-L/usr/local/opt/openblas/lib"]
        }],
        ["OS=='linux' and kindling_openblas_static!=''", {
          # Prebuilt binary: OpenBLAS and libstdc++ inside, their symbols hidden; bundled shared libraries (oneDNN and
          # what it needs) are found next to the addon ($ORIGIN, as DT_RPATH so that it also applies to their own
          # dependencies).
          "libraries!": ["-lopenblas"],
          "libraries": ["<(kindling_openblas_static)", "-lpthread", "-lm"],
          "ldflags": ["-static-libstdc++", "-Wl,--exclude-libs,ALL", "-Wl,--gc-sections", "-s",
            "-Wl,--disable-new-dtags", "-Wl,-rpath,'$$ORIGIN'"]
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
