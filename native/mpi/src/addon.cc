// kindling's MPI addon: the collectives of kindling's distributed API (src/distributed) on typed arrays.
//
// Every call is a blocking MPI collective made from the main JavaScript thread (MPI_THREAD_FUNNELED), so every
// rank must make the same calls in the same order with buffers of the same length and type. Reductions work in
// place (MPI_IN_PLACE); allGather returns a new typed array of worldSize * length elements.
#include <dlfcn.h>
#include <mpi.h>
#include <napi.h>

#include <cstring>
#include <string>

namespace {

bool g_initialized_here = false;

void ThrowMpi(Napi::Env env, const char* what, int code) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, msg, &len);
  throw Napi::Error::New(env, std::string("kindling MPI: ") + what + " failed: " + std::string(msg, len));
}

void Check(Napi::Env env, const char* what, int code) {
  if (code != MPI_SUCCESS) ThrowMpi(env, what, code);
}

bool IsReady() {
  int init = 0, fin = 0;
  MPI_Initialized(&init);
  MPI_Finalized(&fin);
  return init && !fin;
}

void RequireReady(Napi::Env env) {
  if (!IsReady()) {
    throw Napi::Error::New(env, "kindling MPI: MPI is not initialized; call init() first (idist.initialize('mpi'))");
  }
}

// The MPI datatype of a typed array, or MPI_DATATYPE_NULL.
MPI_Datatype TypeOf(const Napi::TypedArray& a) {
  switch (a.TypedArrayType()) {
    case napi_float32_array: return MPI_FLOAT;
    case napi_float64_array: return MPI_DOUBLE;
    case napi_int32_array: return MPI_INT32_T;
    case napi_uint32_array: return MPI_UINT32_T;
    case napi_int8_array: return MPI_INT8_T;
    case napi_uint8_array: return MPI_UINT8_T;
    case napi_int16_array: return MPI_INT16_T;
    case napi_uint16_array: return MPI_UINT16_T;
    case napi_bigint64_array: return MPI_INT64_T;
    case napi_biguint64_array: return MPI_UINT64_T;
    default: return MPI_DATATYPE_NULL;
  }
}

Napi::TypedArray TypedArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    throw Napi::TypeError::New(info.Env(), std::string("kindling MPI: ") + fn + " expects a typed array as argument " +
                                               std::to_string(i + 1));
  }
  Napi::TypedArray a = info[i].As<Napi::TypedArray>();
  if (TypeOf(a) == MPI_DATATYPE_NULL) {
    throw Napi::TypeError::New(info.Env(), std::string("kindling MPI: ") + fn + ": unsupported typed array type");
  }
  return a;
}

void* DataOf(const Napi::TypedArray& a) {
  return static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
}

Napi::Object Info(Napi::Env env) {
  Napi::Object out = Napi::Object::New(env);
  int rank = 0, size = 1, local_rank = 0, local_size = 1, provided = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm local;
  if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &local) == MPI_SUCCESS) {
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_size(local, &local_size);
    MPI_Comm_free(&local);
  }
  MPI_Query_thread(&provided);
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int vlen = 0;
  MPI_Get_library_version(version, &vlen);
  out.Set("rank", rank);
  out.Set("worldSize", size);
  out.Set("localRank", local_rank);
  out.Set("localSize", local_size);
  out.Set("threadLevel", provided);
  std::string library(version, strnlen(version, vlen > 0 ? static_cast<size_t>(vlen) : 0));
  while (!library.empty() && (library.back() == '\n' || library.back() == ' ')) library.pop_back();
  out.Set("library", library);
  return out;
}

// init(): initializes MPI once (a no-op when already initialized) and returns rank / size information.
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fin = 0;
  MPI_Finalized(&fin);
  if (fin) throw Napi::Error::New(env, "kindling MPI: MPI was finalized in this process and cannot be initialized again");
  if (!IsReady()) {
    // Open MPI loads its plugins with dlopen; they resolve symbols of libmpi, which must then be global. A Node
    // addon is loaded with RTLD_LOCAL, so promote libmpi to RTLD_GLOBAL before MPI_Init_thread.
    if (dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD) == nullptr) {
      dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL);
    }
    int provided = 0;
    Check(env, "MPI_Init_thread", MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    g_initialized_here = true;
  }
  return Info(env);
}

Napi::Value IsInitialized(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), IsReady());
}

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  if (IsReady() && g_initialized_here) Check(info.Env(), "MPI_Finalize", MPI_Finalize());
  return info.Env().Undefined();
}

MPI_Op OpOf(Napi::Env env, const std::string& op) {
  if (op == "SUM") return MPI_SUM;
  if (op == "PRODUCT") return MPI_PROD;
  if (op == "MIN") return MPI_MIN;
  if (op == "MAX") return MPI_MAX;
  if (op == "AND") return MPI_LAND;
  if (op == "OR") return MPI_LOR;
  throw Napi::RangeError::New(env, "kindling MPI: unknown reduction op '" + op +
                                       "'; expected SUM, PRODUCT, MIN, MAX, AND or OR");
}

// allReduce(array, op): reduces `array` across ranks in place.
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  Napi::TypedArray a = TypedArg(info, 0, "allReduce");
  std::string op = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "SUM";
  MPI_Op mop = OpOf(env, op);
  if (a.ElementLength() > 0) {
    Check(env, "MPI_Allreduce",
          MPI_Allreduce(MPI_IN_PLACE, DataOf(a), static_cast<int>(a.ElementLength()), TypeOf(a), mop, MPI_COMM_WORLD));
  }
  return a;
}

// allGather(array): returns a new typed array of the same type with every rank's array, in rank order.
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  Napi::TypedArray a = TypedArg(info, 0, "allGather");
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  size_t n = a.ElementLength();
  size_t elem = a.ElementSize();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n * elem * static_cast<size_t>(size));
  if (n > 0) {
    Check(env, "MPI_Allgather",
          MPI_Allgather(DataOf(a), static_cast<int>(n), TypeOf(a), buf.Data(), static_cast<int>(n), TypeOf(a),
                        MPI_COMM_WORLD));
  }
  napi_value out;
  napi_status status = napi_create_typedarray(env, a.TypedArrayType(), n * static_cast<size_t>(size), buf, 0, &out);
  if (status != napi_ok) throw Napi::Error::New(env, "kindling MPI: allGather could not create its result array");
  return Napi::Value(env, out);
}

// broadcast(array, root): overwrites `array` on every rank with the root's array.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  Napi::TypedArray a = TypedArg(info, 0, "broadcast");
  int root = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (root < 0 || root >= size) {
    throw Napi::RangeError::New(env, "kindling MPI: broadcast root " + std::to_string(root) + " is not in [0, " +
                                         std::to_string(size) + ")");
  }
  if (a.ElementLength() > 0) {
    Check(env, "MPI_Bcast", MPI_Bcast(DataOf(a), static_cast<int>(a.ElementLength()), TypeOf(a), root, MPI_COMM_WORLD));
  }
  return a;
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  RequireReady(info.Env());
  Check(info.Env(), "MPI_Barrier", MPI_Barrier(MPI_COMM_WORLD));
  return info.Env().Undefined();
}

// abort(code): terminates every rank of the job (used when one rank fails, so the others do not wait forever).
Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  if (IsReady()) MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("isInitialized", Napi::Function::New(env, IsInitialized, "isInitialized"));
  exports.Set("finalize", Napi::Function::New(env, Finalize, "finalize"));
  exports.Set("allReduce", Napi::Function::New(env, AllReduce, "allReduce"));
  exports.Set("allGather", Napi::Function::New(env, AllGather, "allGather"));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast, "broadcast"));
  exports.Set("barrier", Napi::Function::New(env, Barrier, "barrier"));
  exports.Set("abort", Napi::Function::New(env, Abort, "abort"));
  return exports;
}

}  // namespace

NODE_API_MODULE(kindling_mpi, Module)
