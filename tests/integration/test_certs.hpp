// Makes a throwaway CA and a server certificate for 127.0.0.1 at run time
// (OpenSSL API), so HTTPS tests need no files in the repository.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <string>

namespace test_certs {

struct files {
  std::filesystem::path ca_cert, server_cert, server_key;
};

inline EVP_PKEY *make_key() {
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
  EVP_PKEY *key = nullptr;
  EVP_PKEY_keygen_init(ctx);
  EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1);
  EVP_PKEY_keygen(ctx, &key);
  EVP_PKEY_CTX_free(ctx);
  return key;
}

inline void add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

inline X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, bool ca) {
  X509 *c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 3600L * 24);
  X509_set_pubkey(c, key);
  X509_NAME *name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>(cn),
                             -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
  if (ca) {
    add_ext(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(c, issuer ? issuer : c, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_ext(c, issuer, NID_basic_constraints, "CA:FALSE");
    add_ext(c, issuer, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_ext(c, issuer, NID_ext_key_usage, "serverAuth");
  }
  X509_sign(c, issuer_key, EVP_sha256());
  return c;
}

/// Writes ca.pem, server.pem and server.key into @p dir.
inline files make(const std::filesystem::path &dir) {
  std::filesystem::create_directories(dir);
  EVP_PKEY *ca_key = make_key();
  X509 *ca = make_cert(ca_key, "taskfetch test CA", nullptr, ca_key, 1, true);
  EVP_PKEY *srv_key = make_key();
  X509 *srv = make_cert(srv_key, "127.0.0.1", ca, ca_key, 2, false);
  files f{dir / "ca.pem", dir / "server.pem", dir / "server.key"};
  auto write = [](const std::filesystem::path &p, auto fn) {
    FILE *fp = std::fopen(p.c_str(), "w");
    fn(fp);
    std::fclose(fp);
  };
  write(f.ca_cert, [&](FILE *fp) { PEM_write_X509(fp, ca); });
  write(f.server_cert, [&](FILE *fp) { PEM_write_X509(fp, srv); });
  write(f.server_key, [&](FILE *fp) {
    PEM_write_PrivateKey(fp, srv_key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  X509_free(srv);
  X509_free(ca);
  EVP_PKEY_free(srv_key);
  EVP_PKEY_free(ca_key);
  return f;
}

} // namespace test_certs
