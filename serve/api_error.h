// ApiError: a request the server refuses, as an OpenAI-style error object
// {"error": {"message", "type", "param", "code"}} with its HTTP status.
#pragma once

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace gs::serve {

class ApiError : public std::runtime_error {
 public:
  // param: the request field at fault ("" when none); code: a machine-readable reason.
  ApiError(int status, std::string message, std::string param = "", std::string code = "")
      : std::runtime_error(message), status_(status), param_(std::move(param)), code_(std::move(code)) {}

  int status() const { return status_; }
  const std::string& param() const { return param_; }
  // The OpenAI error type for the status: invalid_request_error, authentication_error, ...
  std::string type() const;
  nlohmann::json body() const;

 private:
  int status_;
  std::string param_;
  std::string code_;
};

}  // namespace gs::serve
