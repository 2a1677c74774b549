// kindling's MPI addon: the collectives of kindling's distributed API (src/distributed) on typed arrays.
//
// Every call is an MPI collective made from the main JavaScript thread (MPI_THREAD_FUNNELED), so every rank must
// make the same calls in the same order with buffers of the same length and type. Reductions work in place
// (MPI_IN_PLACE); allGather returns a new typed array of worldSize * length elements.
//
// Collectives are started non-blocking (MPI_Iallreduce, ...) and completed by a test loop (wait.h) that gives up
// when the liveness side channel (liveness.h) reports a lost or failed rank, or after the collective timeout
// (KINDLING_MPI_TIMEOUT seconds, default 1800, as torch.distributed's 30 minutes), with an error naming the rank.
#include <dlfcn.h>
#include <mpi.h>
#include <napi.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "liveness.h"
#include "wait.h"

namespace {

bool g_initialized_here = false;
// setBlocking(true): allReduce calls the blocking MPI_Allreduce (Open MPI's tuned algorithms, but no lost-rank
// detection while it waits); for benchmarks comparing the two.
bool g_blocking = false;
// Communicators by handle: 0 is MPI_COMM_WORLD, newGroup() appends (MPI_COMM_NULL where this rank is not a member).
std::vector<MPI_Comm> g_comms{MPI_COMM_WORLD};

MPI_Comm CommArg(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsNumber()) return MPI_COMM_WORLD;
  int h = info[i].As<Napi::Number>().Int32Value();
  if (h < 0 || static_cast<size_t>(h) >= g_comms.size() || g_comms[static_cast<size_t>(h)] == MPI_COMM_NULL) {
    throw Napi::RangeError::New(info.Env(), "kindling MPI: group handle " + std::to_string(h) +
                                                " is not a group this rank belongs to");
  }
  return g_comms[static_cast<size_t>(h)];
}

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
    const char* t = std::getenv("KINDLING_MPI_TIMEOUT");
    if (t != nullptr && std::atof(t) > 0) kindling_wait::SetTimeout(std::atof(t));
    const char* live = std::getenv("KINDLING_MPI_LIVENESS");
    std::string warning = live != nullptr && std::string(live) == "0" ? "" : kindling_liveness::Start(MPI_COMM_WORLD);
    if (!warning.empty()) fprintf(stderr, "kindling MPI: warning: %s\n", warning.c_str());
  }
  return Info(env);
}

Napi::Value IsInitialized(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), IsReady());
}

// finalize(): a barrier after which no rank reports another's closed connection as a loss, then MPI_Finalize.
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (IsReady() && g_initialized_here) {
    kindling_liveness::Quiesce();
    MPI_Request req;
    Check(env, "MPI_Ibarrier", MPI_Ibarrier(MPI_COMM_WORLD, &req));
    kindling_wait::Wait(env, &req, "finalize");
    kindling_liveness::Stop();
    for (size_t i = 1; i < g_comms.size(); ++i) {
      if (g_comms[i] != MPI_COMM_NULL) MPI_Comm_free(&g_comms[i]);
    }
    g_comms.resize(1);
    Check(env, "MPI_Finalize", MPI_Finalize());
  }
  return env.Undefined();
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

// The checked arguments of allReduce and startAllReduce: (array, op = 'SUM', group?).
struct ReduceArgs {
  Napi::TypedArray a;
  MPI_Op op;
  MPI_Comm comm;
};

ReduceArgs ParseReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  Napi::TypedArray a = TypedArg(info, 0, "allReduce");
  std::string op = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "SUM";
  ReduceArgs r{a, OpOf(env, op), CommArg(info, 2)};
  kindling_wait::ThrowIfFailed(env, "allReduce");
  return r;
}

// Starts an in-place MPI_Iallreduce; MPI_REQUEST_NULL for an empty array.
MPI_Request StartReduce(Napi::Env env, ReduceArgs& r) {
  MPI_Request req = MPI_REQUEST_NULL;
  if (r.a.ElementLength() > 0) {
    Check(env, "MPI_Iallreduce",
          MPI_Iallreduce(MPI_IN_PLACE, DataOf(r.a), static_cast<int>(r.a.ElementLength()), TypeOf(r.a), r.op, r.comm,
                         &req));
  }
  return req;
}

// allReduce(array, op, group?): reduces `array` across ranks in place.
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReduceArgs r = ParseReduce(info);
  if (r.a.ElementLength() > 0 && g_blocking) {
    Check(env, "MPI_Allreduce",
          MPI_Allreduce(MPI_IN_PLACE, DataOf(r.a), static_cast<int>(r.a.ElementLength()), TypeOf(r.a), r.op, r.comm));
  } else if (r.a.ElementLength() > 0) {
    MPI_Request req = StartReduce(env, r);
    kindling_wait::Wait(env, &req, "allReduce");
  }
  return r.a;
}

// allGather(array): returns a new typed array of the same type with every rank's array, in rank order.
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  Napi::TypedArray a = TypedArg(info, 0, "allGather");
  MPI_Comm comm = CommArg(info, 1);
  kindling_wait::ThrowIfFailed(env, "allGather");
  int size = 1;
  MPI_Comm_size(comm, &size);
  size_t n = a.ElementLength();
  size_t elem = a.ElementSize();
  Napi::ArrayBuffer buf = Napi::ArrayBuffer::New(env, n * elem * static_cast<size_t>(size));
  if (n > 0) {
    MPI_Request req;
    Check(env, "MPI_Iallgather",
          MPI_Iallgather(DataOf(a), static_cast<int>(n), TypeOf(a), buf.Data(), static_cast<int>(n), TypeOf(a), comm,
                         &req));
    kindling_wait::Wait(env, &req, "allGather");
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
  kindling_wait::ThrowIfFailed(env, "broadcast");
  if (a.ElementLength() > 0) {
    MPI_Request req;
    Check(env, "MPI_Ibcast",
          MPI_Ibcast(DataOf(a), static_cast<int>(a.ElementLength()), TypeOf(a), root, MPI_COMM_WORLD, &req));
    kindling_wait::Wait(env, &req, "broadcast");
  }
  return a;
}

// Starts an MPI_Ibarrier on the group of argument 0 (the whole job without one).
MPI_Request StartBarrierRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  MPI_Comm comm = CommArg(info, 0);
  kindling_wait::ThrowIfFailed(env, "barrier");
  MPI_Request req;
  Check(env, "MPI_Ibarrier", MPI_Ibarrier(comm, &req));
  return req;
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  MPI_Request req = StartBarrierRequest(info);
  kindling_wait::Wait(info.Env(), &req, "barrier");
  return info.Env().Undefined();
}

// abort(code, message?): sends `message` (this rank's error) to every rank over the liveness channel, then
// terminates every rank of the job (so the others do not wait forever, and say why).
Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  if (info.Length() > 1 && info[1].IsString()) kindling_liveness::Announce(info[1].As<Napi::String>().Utf8Value());
  kindling_liveness::Quiesce();  // the ranks that MPI_Abort kills now are not news
  if (IsReady()) MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

// newGroup(ranks: Int32Array): a communicator of `ranks` (collective over every rank, as torch's new_group).
// Returns its handle, or -1 on the ranks that are not members.
Napi::Value NewGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireReady(env);
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "kindling MPI: newGroup expects an Int32Array of ranks");
  }
  Napi::Int32Array ranks = info[0].As<Napi::Int32Array>();
  MPI_Group world_group, group;
  MPI_Comm_group(MPI_COMM_WORLD, &world_group);
  Check(env, "MPI_Group_incl", MPI_Group_incl(world_group, static_cast<int>(ranks.ElementLength()), ranks.Data(), &group));
  MPI_Comm comm = MPI_COMM_NULL;
  int rc = MPI_Comm_create(MPI_COMM_WORLD, group, &comm);
  MPI_Group_free(&group);
  MPI_Group_free(&world_group);
  Check(env, "MPI_Comm_create", rc);
  if (comm == MPI_COMM_NULL) return Napi::Number::New(env, -1);
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  g_comms.push_back(comm);
  return Napi::Number::New(env, static_cast<double>(g_comms.size() - 1));
}

// setTimeout(seconds): the collective timeout.
Napi::Value SetTimeout(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber() || !(info[0].As<Napi::Number>().DoubleValue() > 0)) {
    throw Napi::RangeError::New(info.Env(), "kindling MPI: setTimeout expects a positive number of seconds");
  }
  kindling_wait::SetTimeout(info[0].As<Napi::Number>().DoubleValue());
  return info.Env().Undefined();
}

Napi::Value SetBlocking(const Napi::CallbackInfo& info) {
  g_blocking = info.Length() > 0 && info[0].ToBoolean().Value();
  return info.Env().Undefined();
}

// Collectives that JavaScript completes itself (startBarrier / startAllReduce, then testRequest from timers), so
// that the event loop runs while a rank waits (e.g. for another rank's download in oneRankFirst). Every MPI call
// still happens on the main thread (MPI_THREAD_FUNNELED).
struct Pending {
  MPI_Request req;
  Napi::Reference<Napi::Value> keep;  // the buffer MPI writes into
  std::chrono::steady_clock::time_point start;
  std::string what;
};
std::map<int, Pending> g_pending;
int g_next_request = 1;

Napi::Value Track(Napi::Env env, MPI_Request req, Napi::Value keep, const char* what) {
  int id = g_next_request++;
  g_pending.emplace(id, Pending{req, Napi::Persistent(keep), std::chrono::steady_clock::now(), what});
  return Napi::Number::New(env, id);
}

// startBarrier(group?): an MPI_Ibarrier; returns the request id.
Napi::Value StartBarrier(const Napi::CallbackInfo& info) {
  MPI_Request req = StartBarrierRequest(info);
  return Track(info.Env(), req, Napi::Object::New(info.Env()), "barrier");
}

// startAllReduce(array, op, group?): an in-place MPI_Iallreduce; `array` holds the result once testRequest is true.
Napi::Value StartAllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ReduceArgs r = ParseReduce(info);
  MPI_Request req = StartReduce(env, r);
  return Track(env, req, r.a, "allReduce");
}

// testRequest(id): true once the request completed (it is then forgotten); throws on a lost rank or timeout.
Napi::Value TestRequest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int id = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : -1;
  auto it = g_pending.find(id);
  if (it == g_pending.end()) throw Napi::RangeError::New(env, "kindling MPI: no pending request " + std::to_string(id));
  if (!kindling_wait::Poll(env, &it->second.req, it->second.what.c_str(), it->second.start)) return Napi::Boolean::New(env, false);
  g_pending.erase(it);
  return Napi::Boolean::New(env, true);
}

// failure(): what the liveness channel knows about lost or failed ranks, or null.
Napi::Value FailureInfo(const Napi::CallbackInfo& info) {
  kindling_liveness::Failure f = kindling_liveness::Current();
  if (!f.any) return info.Env().Null();
  return Napi::String::New(info.Env(), f.Describe());
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
  exports.Set("newGroup", Napi::Function::New(env, NewGroup, "newGroup"));
  exports.Set("setTimeout", Napi::Function::New(env, SetTimeout, "setTimeout"));
  exports.Set("failure", Napi::Function::New(env, FailureInfo, "failure"));
  exports.Set("setBlocking", Napi::Function::New(env, SetBlocking, "setBlocking"));
  exports.Set("startBarrier", Napi::Function::New(env, StartBarrier, "startBarrier"));
  exports.Set("startAllReduce", Napi::Function::New(env, StartAllReduce, "startAllReduce"));
  exports.Set("testRequest", Napi::Function::New(env, TestRequest, "testRequest"));
  return exports;
}

}  // namespace

NODE_API_MODULE(kindling_mpi, Module)
