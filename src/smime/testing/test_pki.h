// A throw-away PKI made with the openssl command line in a temporary directory, for the S/MIME
// tests: certificates come from an independent tool, not from the code under test.
//
// Files are named after the entity: NAME.key (PKCS#8 PEM), NAME.pem (certificate). Test-only.
#pragma once

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "testing/run_tool.h"

namespace sealpost::smime::testing {

struct LeafSpec {
  std::string key = "ec:P-256";  // "ec:P-256", "ec:P-384", "ec:P-521", "rsa:3072", "rsa:1024"
  std::string email;             // SAN rfc822Name; "" for none
  std::string eku = "emailProtection";  // extendedKeyUsage value; "" to leave it out
  std::string digest = "sha256";
  int days = 365;
  std::string subject;    // default "/CN=<name>"
  std::string key_usage;  // default: digitalSignature and keyEncipherment (RSA)/keyAgreement (EC)
};

class TestPki final {
 public:
  explicit TestPki(std::string dir) : dir_(std::move(dir)) {}

  const std::string& dir() const { return dir_; }
  std::string Path(const std::string& file) const { return dir_ + "/" + file; }

  std::string ReadFile(const std::string& file) const {
    std::ifstream in(Path(file), std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  void WriteFile(const std::string& file, const std::string& bytes) const {
    std::ofstream(Path(file), std::ios::binary) << bytes;
  }

  // Runs `openssl ARGS…` in the directory; a failure is a test failure (output in the message).
  testutil::ToolResult Openssl(std::vector<std::string> args) const {
    args.insert(args.begin(), "openssl");
    return testutil::RunTool(args, dir_);
  }
  bool OpensslOk(const std::vector<std::string>& args) const {
    const testutil::ToolResult r = Openssl(args);
    EXPECT_EQ(r.exit_code, 0) << "openssl failed: " << r.output();
    return r.exit_code == 0;
  }

  bool MakeKey(const std::string& name, const std::string& spec) const {
    const std::string type = spec.substr(0, spec.find(':'));
    const std::string param = spec.substr(spec.find(':') + 1);
    if (type == "rsa") {
      return OpensslOk({"genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:" + param,
                        "-out", name + ".key"});
    }
    return OpensslOk({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:" + param,
                      "-out", name + ".key"});
  }

  // A self-signed CA (P-256, SHA-256, 10 years).
  bool MakeCa(const std::string& name) const {
    return MakeKey(name, "ec:P-256") &&
           OpensslOk({"req", "-x509", "-key", name + ".key", "-subj", "/CN=" + name, "-days",
                      "3650", "-sha256", "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                      "keyUsage=critical,keyCertSign,cRLSign", "-out", name + ".pem"});
  }

  // A leaf issued by CA `issuer`, or self-signed when `issuer` is "".
  bool MakeLeaf(const std::string& name, const std::string& issuer, const LeafSpec& spec) const {
    if (!MakeKey(name, spec.key)) return false;
    const bool rsa = spec.key.rfind("rsa", 0) == 0;
    std::vector<std::string> exts = {
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical," +
            (spec.key_usage.empty()
                 ? std::string("digitalSignature,") + (rsa ? "keyEncipherment" : "keyAgreement")
                 : spec.key_usage)};
    if (!spec.eku.empty()) exts.push_back("extendedKeyUsage=" + spec.eku);
    if (!spec.email.empty()) exts.push_back("subjectAltName=email:" + spec.email);
    const std::string subject = spec.subject.empty() ? "/CN=" + name : spec.subject;
    const std::string days = std::to_string(spec.days);
    if (issuer.empty()) {
      std::vector<std::string> args = {"req",   "-utf8", "-x509", "-key", name + ".key",
                                       "-subj", subject, "-days", days,   "-" + spec.digest};
      for (const std::string& e : exts) {
        args.push_back("-addext");
        args.push_back(e);
      }
      args.push_back("-out");
      args.push_back(name + ".pem");
      return OpensslOk(args);
    }
    std::string cnf = "[ext]\n";
    for (const std::string& e : exts) cnf += e + "\n";
    WriteFile(name + ".ext", cnf);
    return OpensslOk({"req", "-utf8", "-new", "-key", name + ".key", "-subj", subject, "-out",
                      name + ".csr"}) &&
           OpensslOk({"x509", "-req", "-in", name + ".csr", "-CA", issuer + ".pem", "-CAkey",
                      issuer + ".key", "-set_serial", std::to_string(++serial_), "-days", days,
                      "-" + spec.digest, "-extfile", name + ".ext", "-extensions", "ext", "-out",
                      name + ".pem"});
  }

 private:
  std::string dir_;
  mutable int serial_ = 1000;
};

}  // namespace sealpost::smime::testing
