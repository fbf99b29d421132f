// Runs an external tool (openssl, gpg, sq…) for a test, as an independent check of what Sealpost
// writes and as a writer of what it reads.
//
// The child runs in `dir` with no shell (the arguments are passed as they are), extra environment
// variables (e.g. GNUPGHOME), stdin from `input`, stdout and stderr captured through files in
// `dir` (no pipe can fill up and stall it), and is killed after `timeout`. Test support only;
// one child at a time per `dir` (the capture files have fixed names).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace sealpost::testutil {

struct ToolResult {
  int exit_code = -1;  // -1: did not start or was killed
  std::string out;
  std::string err;
  // Both streams, for failure messages and for tools that report on either.
  std::string output() const { return out + err; }
};

inline std::string ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteFileBytes(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Writes `bytes` to dir/name (binary) and returns the path.
inline std::string WriteTestFile(const std::string& dir, const std::string& name,
                                 std::string_view bytes) {
  const std::string path = dir + "/" + name;
  WriteFileBytes(path, bytes);
  return path;
}

inline ToolResult RunTool(const std::vector<std::string>& argv, const std::string& dir,
                          const std::map<std::string, std::string>& env = {},
                          std::string_view input = {},
                          std::chrono::seconds timeout = std::chrono::seconds(120)) {
  const std::string in_path = dir + "/.tool-stdin";
  const std::string out_path = dir + "/.tool-stdout";
  const std::string err_path = dir + "/.tool-stderr";
  WriteFileBytes(in_path, input);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(126);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    const int in = ::open(in_path.c_str(), O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || err < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ToolResult result;
  if (pid < 0) return result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      status = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (status != -1 && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadFileBytes(out_path);
  result.err = ReadFileBytes(err_path);
  return result;
}

}  // namespace sealpost::testutil
