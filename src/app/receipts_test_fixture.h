// An AppTest whose Services issue receipts: the platform PKI in the test store, its TSA in
// process, and a receipt issuer; SequenceAndIssue signs a checkpoint and issues what it covers.
#pragma once

#include <memory>

#include "app/app_test_fixture.h"
#include "app/receipt_issuing.h"
#include "receipts/receipt_issuer.h"
#include "receipts/receipt_verifier.h"
#include "receipts/tsa.h"
#include "tlog/note.h"
#include "trust/platform_pki.h"

namespace sealpost::app {

class ReceiptsAppTest : public AppTest {
 protected:
  ReceiptsAppTest()
      : pki_(*trust::LoadOrCreatePlatformPki(*store_, master_, clock_)),
        tsa_(*receipts::TimeStampAuthority::Create(pki_.tsa, pki_.Chain(), clock_, {})),
        stamper_(*tsa_),
        issuer_(*receipts::ReceiptIssuer::Create(pki_.evidence_signer, pki_.Chain(), stamper_)) {
    services_.receipt_issuer = issuer_.get();
    services_.pki = &pki_;
  }

  // Sequences the log (signing a checkpoint), then issues until nothing is left; the count.
  int SequenceAndIssue() {
    EXPECT_THAT(audit_.SequenceNow(*store_), IsOk());
    int issued = 0;
    for (;;) {
      auto round = issuing_.IssueDue(16);
      EXPECT_THAT(round.status(), IsOk());
      if (!round.ok()) return issued;
      EXPECT_EQ(round->skipped, 0);
      issued += round->issued;
      if (round->scanned == 0) return issued;
    }
  }

  // Offline verification against the platform root and the log key, for `digest_hex`.
  receipts::ReceiptVerifyOptions VerifyOptions(const std::string& digest_hex) {
    receipts::ReceiptVerifyOptions options;
    options.roots = {pki_.root.certificate};
    options.log_key = tlog::NoteVerifier{audit_.origin(), audit_.verify_key()};
    options.sealed_digest_hex = digest_hex;
    return options;
  }

  trust::PlatformPki pki_;
  std::unique_ptr<receipts::TimeStampAuthority> tsa_;
  receipts::InProcessTimeStamper stamper_;
  std::unique_ptr<receipts::ReceiptIssuer> issuer_;
  ReceiptIssuing issuing_{services_};
  Receipts receipts_{services_};
};

}  // namespace sealpost::app
