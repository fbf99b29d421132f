#include "mime/message_parser.h"

#include <algorithm>
#include <cstring>

#include "crypto/security_policy.h"
#include "mime/internal/encoded_words.h"
#include "mime/internal/gmime_handles.h"
#include "mime/internal/gmime_init.h"
#include "mime/internal/source_stream.h"
#include "mime/streamed_message.h"

namespace sealpost::mime {
namespace {

using crypto::policy::kMimeParse;
using internal::GCharPtr;
using internal::GObjectPtr;
using internal::Own;

constexpr size_t kMaxReferences = 1000;

bool ContainsNoCase(std::string_view haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                     [](char a, char b) { return g_ascii_tolower(a) == g_ascii_tolower(b); }) !=
         haystack.end();
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() &&
         g_ascii_strncasecmp(s.data(), prefix.data(), prefix.size()) == 0;
}

// What GMime would build, estimated before it parses: GMime makes an object for every header
// field and every part of the whole message before a single limit can be checked on its
// result, each costing ~100 times the bytes of a minimal "a:b" line or "--b" boundary (measured
// on 60 MiB: 6 GB and 44 s for header lines, 12 GB and 83 s for parts). Every count here can
// only be too high, never too low, so the budgets below bound what GMime allocates.
struct PreScan {
  size_t container_declarations = 0;  // Content-Type fields naming "multipart" or "message"
  size_t field_lines = 0;             // lines GMime could read as a header field
  size_t dash_lines = 0;              // lines that could be a boundary (every part follows one)
  size_t max_address_colons = 0;      // the most colons in one address field (nested groups)
};

// Budgets for PreScan, a multiple of the limits checked on GMime's result: real messages can
// have "Name: value" and "--" lines in their text, which are counted too.
constexpr size_t kFieldLineBudget = 20 * kMimeParse.max_header_fields;
constexpr size_t kDashLineBudget = 40 * kMimeParse.max_parts;

// A line GMime takes as a header field (tested with GMime 3.2): a name without white space or
// control characters, optionally followed by spaces, then a colon. "http://x" counts ("http");
// an empty name counts (over-counting is safe); "a b: c" and indented lines do not (GMime skips the
// first, appends the second).
bool LooksLikeField(std::string_view line) {
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view name = line.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  for (const char c : name) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

// GMime parses address fields as it builds a message, recursing once per nested group
// ("g:g:g:…a@b;;;"): 80,000 levels in a 160 KiB field overflowed the stack (tested). Groups do
// not nest in RFC 5322, so an address field with more colons than this is refused; display names
// with colons in them ("Dept: Sales" <…>) leave room for hundreds of recipients.
constexpr size_t kMaxColonsInAddressField = 500;

bool EndsWithNoCase(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && g_ascii_strncasecmp(s.data() + s.size() - suffix.size(),
                                                          suffix.data(), suffix.size()) == 0;
}

// From, To, Cc, Bcc, Sender, Reply-To and their Resent- forms, and anything else whose name
// ends like them (over-counting is safe).
bool IsAddressFieldName(std::string_view name) {
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  return EndsWithNoCase(name, "from") || EndsWithNoCase(name, "to") || EndsWithNoCase(name, "cc") ||
         EndsWithNoCase(name, "sender");
}

// Counts a message's lines as they come: one physical line at a time (without its '\n'), of
// which `head` is the start (all of it unless `cut`), `colons` the colons in the whole line. A
// cut line is counted as the worst it could be (a container declaration, an address field).
class PreScanner {
 public:
  void Line(std::string_view head, bool cut, size_t colons) {
    if (in_field_ && !head.empty() && (head[0] == ' ' || head[0] == '\t')) {
      AddValue(head, cut, colons);  // a folded line of the field
      return;
    }
    EndField();
    if (head.size() >= 2 && head[0] == '-' && head[1] == '-') ++scan_.dash_lines;
    const size_t colon = head.find(':');
    if (colon != std::string_view::npos) {
      if (!LooksLikeField(head)) return;
      const std::string_view name = head.substr(0, colon);
      BeginField(StartsWithNoCase(name, "content-type") &&
                     name.find_first_not_of(" \t", 12) == std::string_view::npos,
                 IsAddressFieldName(name));
      AddValue(head.substr(colon + 1), cut, colons - 1);
    } else if (cut && colons > 0 && LooksLikeField(std::string(head) + ":")) {
      BeginField(false, true);  // a name longer than what was kept
      AddValue({}, cut, colons - 1);
    }
  }

  PreScan Finish() {
    EndField();
    return scan_;
  }

 private:
  void BeginField(bool content_type, bool address) {
    ++scan_.field_lines;
    in_field_ = true;
    content_type_ = content_type;
    address_ = address;
    container_ = false;
    colons_ = 0;
  }
  // A declaration such as "multipart (c) / mixed" on a folded line counts, and so does anything
  // naming "message".
  void AddValue(std::string_view value, bool cut, size_t colons) {
    container_ =
        container_ || cut || ContainsNoCase(value, "multipart") || ContainsNoCase(value, "message");
    colons_ += colons;
  }
  void EndField() {
    if (!in_field_) return;
    if (content_type_ && container_) ++scan_.container_declarations;
    if (address_) scan_.max_address_colons = std::max(scan_.max_address_colons, colons_);
    in_field_ = false;
  }

  PreScan scan_;
  bool in_field_ = false;
  bool content_type_ = false;
  bool address_ = false;
  bool container_ = false;
  size_t colons_ = 0;
};

PreScan Scan(std::string_view bytes) {
  PreScanner scanner;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find('\n', pos);
    if (end == std::string_view::npos) end = bytes.size();
    const std::string_view line = bytes.substr(pos, end - pos);
    scanner.Line(line, false, static_cast<size_t>(std::count(line.begin(), line.end(), ':')));
    pos = end + 1;
  }
  return scanner.Finish();
}

// The same over a source, read once in blocks; of each line at most max_header_field_bytes are
// kept (a longer field is refused after parsing anyway).
Result<PreScan> Scan(MessageSource& source) {
  constexpr size_t kBlockBytes = 64 * 1024;
  const size_t keep = kMimeParse.max_header_field_bytes;
  PreScanner scanner;
  std::vector<uint8_t> block(kBlockBytes);
  std::string head;
  bool cut = false;
  size_t colons = 0;
  const uint64_t size = source.size();
  for (uint64_t offset = 0; offset < size;) {
    SP_ASSIGN_OR_RETURN(const size_t n, source.ReadAt(offset, block));
    if (n == 0) return Corruption("the message source ended early");
    offset += n;
    std::string_view rest(reinterpret_cast<const char*>(block.data()), n);
    while (!rest.empty()) {
      const size_t newline = rest.find('\n');
      const std::string_view piece = rest.substr(0, newline);
      colons += static_cast<size_t>(std::count(piece.begin(), piece.end(), ':'));
      const size_t room = keep - head.size();
      head.append(piece.substr(0, room));
      cut = cut || piece.size() > room;
      if (newline == std::string_view::npos) break;
      scanner.Line(head, cut, colons);
      head.clear();
      cut = false;
      colons = 0;
      rest.remove_prefix(newline + 1);
    }
  }
  if (!head.empty() || cut) scanner.Line(head, cut, colons);
  return scanner.Finish();
}

// Valid UTF-8 (U+FFFD for what is not); for header values also no control characters.
std::string CleanText(const char* text, bool header) {
  if (text == nullptr) return {};
  const GCharPtr valid(g_utf8_make_valid(text, -1));
  std::string out(valid.get());
  if (header) {
    for (char& c : out) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
    }
    const size_t first = out.find_first_not_of(' ');
    const size_t last = out.find_last_not_of(' ');
    out = first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
  }
  return out;
}

std::string CleanBytes(const std::string& bytes, bool header) {
  // g_utf8_make_valid stops at a NUL when given -1; text bodies may hold one.
  if (bytes.find('\0') == std::string::npos) return CleanText(bytes.c_str(), header);
  const GCharPtr valid(g_utf8_make_valid(bytes.data(), static_cast<gssize>(bytes.size())));
  return CleanText(valid.get(), header);
}

struct Walk {
  size_t parts = 0;
  size_t header_fields = 0;
  bool have_text = false;
  ParsedMessage* out = nullptr;
  // Streamed (StreamedMessage): attachments are collected as their objects, not their bytes,
  // and a body read into memory is bounded.
  std::vector<GMimeObject*>* attachment_objects = nullptr;
};

// A part read into memory while streaming: its encoded content within max_streamed_body_bytes.
Status CheckInMemory(GMimePart* part, const Walk& walk) {
  if (walk.attachment_objects == nullptr) return Status::Ok();
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  GMimeStream* stream = content != nullptr ? g_mime_data_wrapper_get_stream(content) : nullptr;
  const gint64 length = stream != nullptr ? g_mime_stream_length(stream) : 0;
  if (length > static_cast<gint64>(kMimeParse.max_streamed_body_bytes)) {
    return TooLarge("a text part of the message is too large to read as its body");
  }
  return Status::Ok();
}

Status CheckHeaders(GMimeObject* object, Walk& walk) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  const int count = g_mime_header_list_get_count(list);
  walk.header_fields += static_cast<size_t>(std::max(count, 0));
  if (walk.header_fields > kMimeParse.max_header_fields) {
    return TooLarge("the message has too many header fields");
  }
  for (int i = 0; i < count; ++i) {
    const char* raw = g_mime_header_get_raw_value(g_mime_header_list_get_header_at(list, i));
    if (raw != nullptr && strlen(raw) > kMimeParse.max_header_field_bytes) {
      return TooLarge("a header field of the message is too long");
    }
  }
  return Status::Ok();
}

const char* RawHeader(GMimeObject* object, const char* name) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  const int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
    if (g_ascii_strcasecmp(g_mime_header_get_name(header), name) == 0) {
      return g_mime_header_get_raw_value(header);
    }
  }
  return nullptr;
}

// Unfolded, with B-encoded words rewritten so that GMime decodes all of them
// (internal/encoded_words.h).
std::string Unfold(const char* raw) {
  if (raw == nullptr) return {};
  const GCharPtr unfolded(g_mime_utils_header_unfold(raw));
  return unfolded ? internal::NormalizeEncodedWords(unfolded.get()) : std::string();
}

void AddAddresses(InternetAddressList* list, std::vector<ParsedMailbox>& out) {
  const int count = internet_address_list_length(list);
  for (int i = 0; i < count; ++i) {
    InternetAddress* address = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(address)) {
      AddAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(address)), out);
    } else if (INTERNET_ADDRESS_IS_MAILBOX(address)) {
      out.push_back(
          {CleanText(internet_address_get_name(address), true),
           CleanText(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(address)), true)});
    }
  }
}

std::vector<ParsedMailbox> Addresses(GMimeObject* object, const char* name) {
  std::vector<ParsedMailbox> out;
  const char* raw = RawHeader(object, name);
  if (raw == nullptr) return out;
  auto list = Own(internet_address_list_parse(nullptr, Unfold(raw).c_str()));
  if (list) AddAddresses(list.get(), out);
  return out;
}

std::string MessageIdOf(const char* raw) {
  if (raw == nullptr) return {};
  const GCharPtr id(g_mime_utils_decode_message_id(Unfold(raw).c_str()));
  return id ? CleanText(id.get(), true) : std::string();
}

// The header fields of `object` (a message or the protected payload part) into `out`.
void ReadHeaders(GMimeObject* object, ParsedMessage& out) {
  out.from = Addresses(object, "From");
  out.to = Addresses(object, "To");
  out.cc = Addresses(object, "Cc");
  out.bcc = Addresses(object, "Bcc");
  out.reply_to = Addresses(object, "Reply-To");
  if (const char* raw = RawHeader(object, "Subject")) {
    const GCharPtr text(g_mime_utils_header_decode_text(nullptr, Unfold(raw).c_str()));
    out.subject = CleanText(text.get(), true);
  }
  if (const char* raw = RawHeader(object, "Date")) {
    const internal::GDateTimePtr date(g_mime_utils_header_decode_date(Unfold(raw).c_str()));
    if (date) out.date = FromUnixSeconds(g_date_time_to_unix(date.get()));
  }
  out.message_id = MessageIdOf(RawHeader(object, "Message-ID"));
  out.in_reply_to = MessageIdOf(RawHeader(object, "In-Reply-To"));
  if (const char* raw = RawHeader(object, "References")) {
    const internal::ReferencesPtr refs(g_mime_references_parse(nullptr, Unfold(raw).c_str()));
    const int count = refs ? g_mime_references_length(refs.get()) : 0;
    for (int i = 0; i < count && out.references.size() < kMaxReferences; ++i) {
      out.references.push_back(CleanText(g_mime_references_get_message_id(refs.get(), i), true));
    }
  }
  out.hp_outer.clear();
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  const int count = g_mime_header_list_get_count(list);
  for (int i = 0; i < count; ++i) {
    GMimeHeader* header = g_mime_header_list_get_header_at(list, i);
    if (g_ascii_strcasecmp(g_mime_header_get_name(header), "HP-Outer") != 0) continue;
    const std::string value = CleanText(Unfold(g_mime_header_get_raw_value(header)).c_str(), true);
    const size_t colon = value.find(':');
    if (colon == std::string::npos) continue;
    std::string field_value = value.substr(colon + 1);
    const size_t first = field_value.find_first_not_of(' ');
    out.hp_outer.emplace_back(value.substr(0, colon),
                              first == std::string::npos ? "" : field_value.substr(first));
  }
}

// The file name from Content-Disposition (filename) or else Content-Type (name), RFC 2231 and
// RFC 2047 decoded; read from the raw fields, normalised first (internal/encoded_words.h).
std::string FileNameOf(GMimeObject* object) {
  if (const char* raw = RawHeader(object, "Content-Disposition")) {
    auto disposition = Own(g_mime_content_disposition_parse(nullptr, Unfold(raw).c_str()));
    const char* name = disposition
                           ? g_mime_content_disposition_get_parameter(disposition.get(), "filename")
                           : nullptr;
    if (name != nullptr) return CleanText(name, true);
  }
  if (const char* raw = RawHeader(object, "Content-Type")) {
    auto type = Own(g_mime_content_type_parse(nullptr, Unfold(raw).c_str()));
    const char* name = type ? g_mime_content_type_get_parameter(type.get(), "name") : nullptr;
    if (name != nullptr) return CleanText(name, true);
  }
  return {};
}

std::string MediaType(GMimeObject* object) {
  GMimeContentType* type = g_mime_object_get_content_type(object);
  if (type == nullptr) return "text/plain";
  const GCharPtr mime(g_mime_content_type_get_mime_type(type));
  std::string out = mime ? mime.get() : "application/octet-stream";
  for (char& c : out) c = static_cast<char>(g_ascii_tolower(c));
  return out;
}

std::string DecodedBytes(GMimePart* part) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (content == nullptr) return {};
  auto stream = Own(g_mime_stream_mem_new());
  if (g_mime_data_wrapper_write_to_stream(content, stream.get()) < 0) return {};
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

std::string TextOf(GMimeObject* object) {
  if (GMIME_IS_TEXT_PART(object)) {
    const GCharPtr text(g_mime_text_part_get_text(GMIME_TEXT_PART(object)));
    if (text) return CleanText(text.get(), false);
  }
  return CleanBytes(DecodedBytes(GMIME_PART(object)), false);
}

// RFC 9788: the Legacy Display Element is the header-like lines at the start of the part
// up to and including the first empty line.
std::string WithoutLegacyDisplay(std::string text) {
  size_t end = text.find("\r\n\r\n");
  size_t skip = 4;
  const size_t lf = text.find("\n\n");
  if (lf != std::string::npos && (end == std::string::npos || lf < end)) {
    end = lf;
    skip = 2;
  }
  return end == std::string::npos ? text : text.substr(end + skip);
}

bool IsHeaderProtectedText(GMimeObject* object) {
  const char* legacy = g_mime_content_type_get_parameter(g_mime_object_get_content_type(object),
                                                         "hp-legacy-display");
  return legacy != nullptr && std::string_view(legacy) == "1";
}

Result<std::string> WriteObject(GMimeObject* object) {
  auto stream = Own(g_mime_stream_mem_new());
  if (g_mime_object_write_to_stream(object, nullptr, stream.get()) < 0) {
    return Internal("GMime could not write an attached message");
  }
  const GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(stream.get()));
  return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

// Visits the tree for its limits; with `collect`, also fills walk.out's bodies and attachments.
Status Visit(GMimeObject* object, size_t depth, bool collect, Walk& walk) {
  if (depth > kMimeParse.max_depth) return TooLarge("the message's parts are nested too deeply");
  if (++walk.parts > kMimeParse.max_parts) return TooLarge("the message has too many parts");
  SP_RETURN_IF_ERROR(CheckHeaders(object, walk));
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multipart = GMIME_MULTIPART(object);
    const int count = g_mime_multipart_get_count(multipart);
    const bool signed_part = GMIME_IS_MULTIPART_SIGNED(object);
    for (int i = 0; i < count; ++i) {
      // In multipart/signed only the signed content counts; the signature is still visited
      // for the limits.
      GMimeObject* child = g_mime_multipart_get_part(multipart, i);
      SP_RETURN_IF_ERROR(Visit(child, depth + 1, collect && (!signed_part || i == 0), walk));
      if (collect && signed_part && i == 1 && GMIME_IS_PART(child)) {
        SP_RETURN_IF_ERROR(CheckInMemory(GMIME_PART(child), walk));
        walk.out->signatures.push_back(DecodedBytes(GMIME_PART(child)));
      }
    }
    return Status::Ok();
  }
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner != nullptr) {
      SP_RETURN_IF_ERROR(CheckHeaders(GMIME_OBJECT(inner), walk));
      GMimeObject* body = g_mime_message_get_mime_part(inner);
      if (body != nullptr) SP_RETURN_IF_ERROR(Visit(body, depth + 1, false, walk));
    }
    if (!collect) return Status::Ok();
    ParsedAttachment attachment;
    attachment.content_type = MediaType(object);
    attachment.filename = FileNameOf(object);
    if (walk.attachment_objects != nullptr) {
      walk.attachment_objects->push_back(object);
    } else if (inner != nullptr) {
      SP_ASSIGN_OR_RETURN(attachment.data, WriteObject(GMIME_OBJECT(inner)));
    }
    walk.out->attachments.push_back(std::move(attachment));
    return Status::Ok();
  }
  if (!collect || !GMIME_IS_PART(object)) return Status::Ok();
  GMimePart* part = GMIME_PART(object);
  const std::string media_type = MediaType(object);
  GMimeContentDisposition* disposition = g_mime_object_get_content_disposition(object);
  const bool attachment =
      disposition != nullptr && g_mime_content_disposition_is_attachment(disposition);
  ParsedMessage& out = *walk.out;
  if (!attachment && media_type == "text/plain" && !walk.have_text) {
    SP_RETURN_IF_ERROR(CheckInMemory(part, walk));
    walk.have_text = true;
    out.text_body = TextOf(object);
    if (IsHeaderProtectedText(object)) out.text_body = WithoutLegacyDisplay(out.text_body);
    return Status::Ok();
  }
  if (!attachment && media_type == "text/html" && !out.html_body) {
    SP_RETURN_IF_ERROR(CheckInMemory(part, walk));
    out.html_body = TextOf(object);
    return Status::Ok();
  }
  if (walk.attachment_objects != nullptr) {
    walk.attachment_objects->push_back(object);
    out.attachments.push_back({FileNameOf(object), media_type, ""});
    return Status::Ok();
  }
  out.attachments.push_back({FileNameOf(object), media_type, DecodedBytes(part)});
  return Status::Ok();
}

struct Parsed {
  GObjectPtr<GMimeMessage> message;
  // Where the header fields are read: the message, or the protected payload part inside
  // multipart/signed; and which protection it declares.
  GMimeObject* header_source = nullptr;
  HeaderProtection protection = HeaderProtection::kNone;
};

HeaderProtection ProtectionOf(GMimeObject* object) {
  if (object == nullptr) return HeaderProtection::kNone;
  const char* hp = g_mime_content_type_get_parameter(g_mime_object_get_content_type(object), "hp");
  if (hp == nullptr) return HeaderProtection::kNone;
  if (g_ascii_strcasecmp(hp, "cipher") == 0) return HeaderProtection::kCipher;
  if (g_ascii_strcasecmp(hp, "clear") == 0) return HeaderProtection::kClear;
  return HeaderProtection::kNone;
}

Status CheckScan(const PreScan& scan) {
  if (scan.container_declarations > kMimeParse.max_parts || scan.dash_lines > kDashLineBudget) {
    return TooLarge("the message has too many parts");
  }
  if (scan.field_lines > kFieldLineBudget) {
    return TooLarge("the message has too many header fields");
  }
  if (scan.max_address_colons > kMaxColonsInAddressField) {
    return InvalidArgument("an address field of the message nests groups too deeply");
  }
  return Status::Ok();
}

// Parses `stream` (whose bytes passed CheckScan).
Result<Parsed> ConstructFrom(GMimeStream* stream) {
  auto parser = Own(g_mime_parser_new_with_stream(stream));
  g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
  Parsed parsed;
  parsed.message = Own(g_mime_parser_construct_message(parser.get(), nullptr));
  if (!parsed.message) return InvalidArgument("the bytes are not an e-mail message");
  GMimeObject* top = g_mime_message_get_mime_part(parsed.message.get());
  parsed.header_source = GMIME_OBJECT(parsed.message.get());
  parsed.protection = ProtectionOf(top);
  if (parsed.protection == HeaderProtection::kNone && top != nullptr &&
      GMIME_IS_MULTIPART_SIGNED(top) && g_mime_multipart_get_count(GMIME_MULTIPART(top)) > 0) {
    // A signed-only message (RFC 9788 hp="clear"): the payload is the signed content.
    GMimeObject* payload = g_mime_multipart_get_part(GMIME_MULTIPART(top), 0);
    parsed.protection = ProtectionOf(payload);
    if (parsed.protection != HeaderProtection::kNone) parsed.header_source = payload;
  }
  return parsed;
}

Result<Parsed> Construct(std::string_view bytes) {
  if (bytes.size() > kMimeParse.max_message_bytes) return TooLarge("the message is too large");
  SP_RETURN_IF_ERROR(CheckScan(Scan(bytes)));
  internal::EnsureGMimeInitialized();
  auto stream = Own(g_mime_stream_mem_new_with_buffer(bytes.data(), bytes.size()));
  return ConstructFrom(stream.get());
}

Result<ParsedMessage> Read(const Parsed& body, GMimeObject* header_source,
                           std::vector<GMimeObject*>* attachment_objects = nullptr) {
  ParsedMessage out;
  Walk walk;
  walk.out = &out;
  walk.attachment_objects = attachment_objects;
  SP_RETURN_IF_ERROR(CheckHeaders(GMIME_OBJECT(body.message.get()), walk));
  GMimeObject* top = g_mime_message_get_mime_part(body.message.get());
  if (top != nullptr) SP_RETURN_IF_ERROR(Visit(top, 1, true, walk));
  ReadHeaders(header_source, out);
  out.header_protection = body.protection;
  if (body.protection == HeaderProtection::kNone) out.hp_outer.clear();
  return out;
}

}  // namespace

Result<ParsedMessage> ParseMessage(std::string_view message) {
  SP_ASSIGN_OR_RETURN(Parsed parsed, Construct(message));
  return Read(parsed, parsed.header_source);
}

Result<ParsedMessage> ParseDecrypted(std::string_view outer_message,
                                     std::string_view decrypted_payload) {
  if (outer_message.size() + decrypted_payload.size() > 2 * kMimeParse.max_message_bytes) {
    return TooLarge("the message is too large");
  }
  SP_ASSIGN_OR_RETURN(Parsed payload, Construct(decrypted_payload));
  if (payload.protection != HeaderProtection::kNone) {
    // RFC 9788: the protected header fields replace the outer ones; nothing is merged.
    return Read(payload, payload.header_source);
  }
  SP_ASSIGN_OR_RETURN(Parsed outer, Construct(outer_message));
  Walk walk;
  SP_RETURN_IF_ERROR(CheckHeaders(GMIME_OBJECT(outer.message.get()), walk));
  return Read(payload, GMIME_OBJECT(outer.message.get()));
}

struct StreamedMessage::Tree {
  Status source_error;  // the first failure of the source (streams hold its address)
  GObjectPtr<GMimeStream> stream;
  Parsed parsed;
  std::vector<GMimeObject*> attachments;  // owned by parsed.message
};

StreamedMessage::StreamedMessage(std::unique_ptr<Tree> tree, ParsedMessage message)
    : tree_(std::move(tree)), message_(std::move(message)) {}
StreamedMessage::~StreamedMessage() = default;

Result<std::unique_ptr<StreamedMessage>> StreamedMessage::Parse(MessageSource& source) {
  if (source.size() > kMimeParse.max_streamed_message_bytes) {
    return TooLarge("the message is too large");
  }
  SP_ASSIGN_OR_RETURN(const PreScan scan, Scan(source));
  SP_RETURN_IF_ERROR(CheckScan(scan));
  internal::EnsureGMimeInitialized();
  auto tree = std::make_unique<Tree>();
  tree->stream = internal::NewSourceStream(source, &tree->source_error);
  auto parsed = ConstructFrom(tree->stream.get());
  SP_RETURN_IF_ERROR(tree->source_error);
  if (!parsed.ok()) return parsed.status();
  tree->parsed = std::move(*parsed);
  auto message = Read(tree->parsed, tree->parsed.header_source, &tree->attachments);
  SP_RETURN_IF_ERROR(tree->source_error);
  if (!message.ok()) return message.status();
  return std::unique_ptr<StreamedMessage>(
      new StreamedMessage(std::move(tree), std::move(*message)));
}

Status StreamedMessage::CopyAttachment(size_t index,
                                       const std::function<Status(ByteView)>& write) const {
  if (index >= tree_->attachments.size()) return InvalidArgument("no such attachment");
  GMimeObject* object = tree_->attachments[index];
  // GMime writes in small pieces (a few KiB): gathered into blocks of 64 KiB for `write`.
  constexpr size_t kBlockBytes = 64 * 1024;
  std::string block;
  block.reserve(kBlockBytes);
  const std::function<Status(ByteView)> gather = [&](ByteView bytes) -> Status {
    while (!bytes.empty()) {
      const size_t take = std::min(kBlockBytes - block.size(), bytes.size());
      block.append(reinterpret_cast<const char*>(bytes.data()), take);
      bytes = bytes.subspan(take);
      if (block.size() == kBlockBytes) {
        SP_RETURN_IF_ERROR(write(AsBytes(block)));
        block.clear();
      }
    }
    return Status::Ok();
  };
  Status sink_error;
  auto sink = internal::NewSinkStream(gather, &sink_error);
  gint64 written = 0;
  if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    if (inner != nullptr) {
      written = g_mime_object_write_to_stream(GMIME_OBJECT(inner), nullptr, sink.get());
    }
  } else if (GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(object))) {
    written = g_mime_data_wrapper_write_to_stream(content, sink.get());
  }
  Status result = Status::Ok();
  if (written < 0) {
    result = !sink_error.ok()            ? sink_error
             : !tree_->source_error.ok() ? tree_->source_error
                                         : Internal("GMime could not decode an attachment");
  } else if (!block.empty()) {
    result = write(AsBytes(block));
  }
  std::fill(block.begin(), block.end(), '\0');
  return result;
}

}  // namespace sealpost::mime
