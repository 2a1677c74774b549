{
  "targets": [
    {
      "target_name": "kindling_mpi",
      "sources": ["src/addon.cc", "src/liveness.cc"],
      "include_dirs": ["<!@(node -p \"require('node-addon-api').include\")"],
      "cflags_cc": ["-O2", "-std=gnu++17", "<!@(mpicc --showme:compile)"],
      "cflags_cc!": ["-fno-exceptions"],
      "libraries": ["<!@(mpicc --showme:link)", "-ldl"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "OMPI_SKIP_MPICXX=1", "MPICH_SKIP_MPICXX=1"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["<!@(mpicc --showme:compile)"],
        "OTHER_LDFLAGS": ["<!@(mpicc --showme:link)"]
      }
    }
  ]
}
