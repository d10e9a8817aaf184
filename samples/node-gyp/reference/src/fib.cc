// A native addon through Node-API: fib(n) computed in C++.
#include <node_api.h>

#include <cstdint>

namespace {

uint64_t Fib(uint32_t n) {
  uint64_t a = 0, b = 1;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t t = a + b;
    a = b;
    b = t;
  }
  return a;
}

napi_value FibJs(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  uint32_t n = 0;
  if (argc < 1 || napi_get_value_uint32(env, argv[0], &n) != napi_ok) {
    napi_throw_type_error(env, nullptr, "fib(n) needs a non-negative integer");
    return nullptr;
  }
  napi_value result;
  napi_create_double(env, static_cast<double>(Fib(n)), &result);
  return result;
}

napi_value Init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "fib", NAPI_AUTO_LENGTH, FibJs, nullptr, &fn);
  napi_set_named_property(env, exports, "fib", fn);
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
