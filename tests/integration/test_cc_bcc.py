"""Cc and Bcc over the API (POST /api/v1/messages `cc`, `bcc`): To and Cc recipients hold one
message that lists both lists; each Bcc recipient holds a message of their own that names only
them; the sender finds all of them in Sent. The recipient lists are refused with problem+json 400
when an address is in two lists, is not an address, the lists are empty or too long together, or
the body's fields are of the wrong type, unknown or given twice."""

from harness import Member, ServerTestCase


class CcBccTest(ServerTestCase):
    server_options = {"extra_config": "\n[limits]\nmax_recipients = 4\n"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = Member(cls.server, "alice@example.org", "Alice")
        cls.bob = Member(cls.server, "bob@example.org", "Bob")
        cls.carol = Member(cls.server, "carol@example.org", "Carol")
        cls.dave = Member(cls.server, "dave@example.org", "Dave")
        cls.erin = Member(cls.server, "erin@example.org", "Erin")
        for m in (cls.alice, cls.bob, cls.carol, cls.dave, cls.erin):
            m.login()
        r = cls.alice.client.request("POST", "/api/v1/messages", {
            "to": ["bob@example.org"], "cc": ["Carol@example.org"],
            "bcc": ["dave@example.org", "erin@example.org"],
            "subject": "Board minutes", "text": "See the minutes.",
        })
        assert r.status == 201, (r.status, r.body)
        cls.sent = r.json()

    def inbox(self, member):
        r = member.client.request("GET", "/api/v1/mailbox/inbox?limit=10")
        self.assertEqual(r.status, 200, r.body)
        return r.json()["items"]

    def read(self, member, message_id):
        r = member.client.request("GET", f"/api/v1/messages/{message_id}")
        self.assertEqual(r.status, 200, r.body)
        return r

    def test_to_and_cc_recipients_see_both_lists_and_no_bcc(self):
        main = self.sent["id"]
        for member in (self.bob, self.carol):
            items = self.inbox(member)
            self.assertEqual([i["id"] for i in items], [main])
            r = self.read(member, main)
            view = r.json()
            self.assertEqual(view["to"], ["bob@example.org"])
            self.assertEqual(view["cc"], ["carol@example.org"])
            self.assertNotIn("bcc", view)
            self.assertEqual(view["seal"]["status"], "valid")
            # Nowhere in what they read: not in the header, the listing or the search.
            self.assertNotIn("dave", r.body.decode())
            self.assertNotIn("erin", r.body.decode())
            r = member.client.request("GET", "/api/v1/mailbox/inbox?q=dave")
            self.assertEqual(r.json()["items"], [])

    def test_each_bcc_recipient_holds_a_message_naming_only_them(self):
        ids = self.sent["bcc_messages"]
        self.assertEqual(sorted(ids), ["dave@example.org", "erin@example.org"])
        self.assertNotEqual(ids["dave@example.org"], self.sent["id"])
        for member in (self.dave, self.erin):
            own = ids[member.address]
            self.assertEqual([i["id"] for i in self.inbox(member)], [own])
            r = self.read(member, own)
            view = r.json()
            self.assertEqual(view["to"], [])
            self.assertEqual(view["cc"], [])
            self.assertEqual(view["bcc"], [member.address])
            self.assertEqual(view["subject"], "Board minutes")
            self.assertEqual(view["seal"]["status"], "valid")
            other = "erin" if member is self.dave else "dave"
            for hidden in (other, "bob@", "carol@"):
                self.assertNotIn(hidden, r.body.decode())
            # The To/Cc message is not theirs to read.
            r = member.client.request("GET", f"/api/v1/messages/{self.sent['id']}")
            self.assertEqual(r.status, 404, r.body)

    def test_the_sender_sees_every_message_and_its_recipients(self):
        r = self.alice.client.request("GET", "/api/v1/mailbox/sent?limit=10")
        self.assertEqual(r.status, 200, r.body)
        listed = {i["id"]: i for i in r.json()["items"]}
        for message_id in [self.sent["id"], *self.sent["bcc_messages"].values()]:
            self.assertIn(message_id, listed)
        main = self.read(self.alice, self.sent["id"]).json()
        self.assertEqual(sorted(x["address"] for x in main["recipients"]),
                         ["bob@example.org", "carol@example.org"])
        dave = self.read(self.alice, self.sent["bcc_messages"]["dave@example.org"]).json()
        self.assertEqual(dave["bcc"], ["dave@example.org"])
        self.assertEqual([x["address"] for x in dave["recipients"]], ["dave@example.org"])

    def refused(self, body, raw=None):
        r = self.alice.client.request("POST", "/api/v1/messages", None if raw else body, raw=raw,
                                      headers={"Content-Type": "application/json"} if raw else None)
        self.assertEqual(r.status, 400, r.body)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/problem+json"))
        return r.json()

    def test_an_address_in_two_lists_is_refused_with_its_lists_named(self):
        p = self.refused({"to": ["bob@example.org"], "cc": ["BOB@example.org"], "subject": "x"})
        self.assertTrue(p["type"].endswith("/invalid-recipient"), p)
        self.assertIn("bob@example.org is in both to and cc", p["detail"])
        p = self.refused({"cc": ["carol@example.org"], "bcc": ["carol@example.org"]})
        self.assertIn("carol@example.org is in both cc and bcc", p["detail"])
        p = self.refused({"to": ["bob@example.org"], "bcc": ["dave@example.org", "dave@example.org"]})
        self.assertIn("appears more than once in bcc", p["detail"])

    def test_bad_addresses_counts_and_types_are_refused(self):
        p = self.refused({"to": ["bob@example.org"], "bcc": ["no address"]})
        self.assertTrue(p["type"].endswith("/invalid-recipient"), p)
        self.assertIn("bcc recipient 1 is not a valid address", p["detail"])
        p = self.refused({"subject": "nobody"})
        self.assertIn("at least one recipient", p["detail"])
        p = self.refused({"to": [], "cc": [], "bcc": []})
        self.assertIn("at least one recipient", p["detail"])
        # The limit (4 here) counts to, cc and bcc together.
        p = self.refused({"to": ["bob@example.org", "carol@example.org"], "cc": ["dave@example.org"],
                          "bcc": ["erin@example.org", "frank@example.org"]})
        self.assertIn("at most 4 recipients (to, cc and bcc together)", p["detail"])
        self.refused({"to": ["bob@example.org"], "cc": "carol@example.org"})
        self.refused({"to": ["bob@example.org"], "bcc": [42]})
        self.refused({"to": ["bob@example.org"], "blind_copy": ["carol@example.org"]})
        self.refused(None, raw=b'{"to":["bob@example.org"],"cc":["a@example.org"],'
                              b'"cc":["carol@example.org"]}')

    def test_nothing_was_sent_by_the_refusals(self):
        # Only the message of setUpClass reached Bob; the refused sends stored nothing.
        self.test_bad_addresses_counts_and_types_are_refused()
        self.test_an_address_in_two_lists_is_refused_with_its_lists_named()
        self.assertEqual(len(self.inbox(self.bob)), 1)
        self.assertEqual(len(self.inbox(self.carol)), 1)


if __name__ == "__main__":
    import unittest
    unittest.main()
