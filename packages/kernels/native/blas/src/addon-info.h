// info(): what the addon reports about itself (addon-info.cc), registered by addon.cc.
#pragma once

#include <napi.h>

namespace kd_addon {

// info() -> { config, coreName, threads, spinMicros, sbgemm, simd, openblasThreading, dnnl, kernels }
Napi::Value Info(const Napi::CallbackInfo& info);

}  // namespace kd_addon
