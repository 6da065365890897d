/* SPDX-License-Identifier: MIT */
/* dns_msg.h - DNS message codec: query parsing, replies, answer rewriting */

#ifndef SLUICE_DNS_MSG_H
#define SLUICE_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Fixed header size of every DNS message */
#define DNS_HEADER_LEN 12

/* Maximum length of a name in wire form, root label included (RFC 1035) */
#define DNS_NAME_WIRE_MAX 255

/* Buffer size for a name as dotted text: 253 characters and the NUL */
#define DNS_NAME_TEXT_SIZE 254

/* Largest UDP message without EDNS, and the cap on any EDNS UDP size */
#define DNS_UDP_MAX_PLAIN 512
#define DNS_UDP_MAX_EDNS  1232

/* Largest message over TCP, limited by the 2-byte length prefix */
#define DNS_TCP_MAX 65535

/* Buffer size for dns_type_str(), dns_class_str() and dns_rcode_str() */
#define DNS_MNEMONIC_SIZE 16

/* Header flag bits (RFC 1035, and RFC 4035 for AD and CD) */
#define DNS_FLAG_QR	0x8000
#define DNS_FLAG_OPCODE 0x7800
#define DNS_FLAG_AA	0x0400
#define DNS_FLAG_TC	0x0200
#define DNS_FLAG_RD	0x0100
#define DNS_FLAG_RA	0x0080
#define DNS_FLAG_AD	0x0020
#define DNS_FLAG_CD	0x0010
#define DNS_FLAG_RCODE	0x000f

/**
 * enum dns_type - resource record types that sluice names or handles
 * @DNS_TYPE_A:		IPv4 address
 * @DNS_TYPE_NS:	name server
 * @DNS_TYPE_CNAME:	canonical name
 * @DNS_TYPE_SOA:	start of authority
 * @DNS_TYPE_PTR:	domain name pointer
 * @DNS_TYPE_MX:	mail exchange
 * @DNS_TYPE_TXT:	text strings
 * @DNS_TYPE_AAAA:	IPv6 address
 * @DNS_TYPE_SRV:	service location
 * @DNS_TYPE_DNAME:	subtree redirection
 * @DNS_TYPE_OPT:	EDNS(0) pseudo-record
 * @DNS_TYPE_SVCB:	service binding
 * @DNS_TYPE_HTTPS:	service binding for HTTPS
 * @DNS_TYPE_ANY:	query for all types
 * @DNS_TYPE_CAA:	certification authority authorization
 */
enum dns_type {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_SRV = 33,
	DNS_TYPE_DNAME = 39,
	DNS_TYPE_OPT = 41,
	DNS_TYPE_SVCB = 64,
	DNS_TYPE_HTTPS = 65,
	DNS_TYPE_ANY = 255,
	DNS_TYPE_CAA = 257,
};

/**
 * enum dns_class - record classes
 * @DNS_CLASS_IN:	Internet
 * @DNS_CLASS_CH:	Chaos
 * @DNS_CLASS_HS:	Hesiod
 * @DNS_CLASS_ANY:	query for all classes
 */
enum dns_class {
	DNS_CLASS_IN = 1,
	DNS_CLASS_CH = 3,
	DNS_CLASS_HS = 4,
	DNS_CLASS_ANY = 255,
};

/**
 * enum dns_rcode - response codes; values above 15 need an OPT record
 * @DNS_RCODE_NOERROR:	success, possibly with no answers (NODATA)
 * @DNS_RCODE_FORMERR:	the query was malformed
 * @DNS_RCODE_SERVFAIL:	the server failed to produce an answer
 * @DNS_RCODE_NXDOMAIN:	the name does not exist
 * @DNS_RCODE_NOTIMP:	the kind of query is not implemented
 * @DNS_RCODE_REFUSED:	the server will not answer for policy reasons
 * @DNS_RCODE_BADVERS:	the EDNS version is not implemented (RFC 6891)
 */
enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,
};

/**
 * enum dns_parse_status - outcome of dns_query_parse()
 * @DNS_PARSE_OK:	a valid query for one question
 * @DNS_PARSE_FORMERR:	malformed; reply with FORMERR
 * @DNS_PARSE_NOTIMP:	an opcode other than QUERY; reply with NOTIMP
 * @DNS_PARSE_BADVERS:	an EDNS version other than 0; reply with BADVERS
 * @DNS_PARSE_DROP:	no id to reply to, or a response (QR set). Send
 *			nothing, because a reply to a response can start a
 *			loop between two servers
 *
 * Positive values equal the rcode of the reply, so a caller can pass the
 * status to dns_reply_init() as it is.
 */
enum dns_parse_status {
	DNS_PARSE_OK = 0,
	DNS_PARSE_FORMERR = DNS_RCODE_FORMERR,
	DNS_PARSE_NOTIMP = DNS_RCODE_NOTIMP,
	DNS_PARSE_BADVERS = DNS_RCODE_BADVERS,
	DNS_PARSE_DROP = -1,
};

/**
 * enum dns_transport - how a message travels, which sets its size limit
 * @DNS_TRANSPORT_UDP:	512 bytes, or the EDNS size capped at 1232
 * @DNS_TRANSPORT_TCP:	65535 bytes
 */
enum dns_transport {
	DNS_TRANSPORT_UDP,
	DNS_TRANSPORT_TCP,
};

/**
 * enum dns_section - record sections of a message, in wire order
 * @DNS_SECTION_ANSWER:		answer records
 * @DNS_SECTION_AUTHORITY:	authority records
 * @DNS_SECTION_ADDITIONAL:	additional records
 */
enum dns_section {
	DNS_SECTION_ANSWER,
	DNS_SECTION_AUTHORITY,
	DNS_SECTION_ADDITIONAL,
};

/**
 * struct dns_edns - the EDNS(0) OPT record of a query (RFC 6891)
 * @present:	the query carried an OPT record, so the other fields are valid
 * @udp_size:	requestor's UDP payload size, as sent
 * @version:	EDNS version; only 0 is implemented
 * @dnssec_ok:	the DO bit (RFC 3225), echoed in the reply
 */
struct dns_edns {
	bool present;
	uint16_t udp_size;
	uint8_t version;
	bool dnssec_ok;
};

/**
 * struct dns_query - a parsed guest query
 * @id:			message id, echoed in the reply
 * @flags:		header flag word as received (DNS_FLAG_*)
 * @has_question:	the question was parsed, so @name, @qname,
 *			@qname_len, @qtype and @qclass are valid and a reply
 *			echoes the question
 * @name:		question name as lower-case dotted text without the
 *			trailing dot, "" for the root
 * @qname:		question name in wire form, uncompressed, in the case
 *			the guest sent
 * @qname_len:		bytes in @qname, root label included
 * @qtype:		question type (enum dns_type or any other value)
 * @qclass:		question class (enum dns_class or any other value)
 * @edns:		the OPT record, if any
 */
struct dns_query {
	uint16_t id;
	uint16_t flags;
	bool has_question;
	char name[DNS_NAME_TEXT_SIZE];
	uint8_t qname[DNS_NAME_WIRE_MAX];
	size_t qname_len;
	uint16_t qtype;
	uint16_t qclass;
	struct dns_edns edns;
};

/* Names remembered by a reply writer as compression targets */
#define DNS_REPLY_NAMES 16

/**
 * struct dns_reply - a reply being written; fields are private to the codec
 * @buf:		output buffer
 * @limit:		maximum message length: transport limit and buffer size
 * @len:		bytes written so far
 * @reserve:		bytes kept free for the OPT record written at the end
 * @counts:		records written per section (enum dns_section)
 * @section:		section that records are being added to
 * @flags:		header flag word of the reply, without TC
 * @rcode:		response code, up to 12 bits with the EDNS extension
 * @rr_class:		class of added answer records: the question class,
 *			or IN when the question class is ANY
 * @has_question:	the question was echoed, so answers may be added
 * @full:		a record did not fit, so no further record is written
 * @tc:			the TC bit is set in the reply
 * @overflow:		a write in the current record did not fit
 * @edns:		OPT record of the query, repeated in the reply
 * @names:		offsets and lengths of uncompressed names already in
 *			@buf, for compression of later names
 * @name_count:		entries used in @names
 *
 * Only dns_msg.c and dns_rewrite.c read or write the fields.
 */
struct dns_reply {
	uint8_t *buf;
	size_t limit;
	size_t len;
	size_t reserve;
	uint16_t counts[3];
	enum dns_section section;
	uint16_t flags;
	uint16_t rcode;
	uint16_t rr_class;
	bool has_question;
	bool full;
	bool tc;
	bool overflow;
	struct dns_edns edns;
	struct {
		uint16_t offset;
		uint8_t len;
	} names[DNS_REPLY_NAMES];
	unsigned name_count;
};

/**
 * enum dns_addr_verdict - what dns_response_rewrite() does with an address
 * @DNS_ADDR_KEEP:	copy the record, with the filter's TTL
 * @DNS_ADDR_DROP:	leave the record out
 * @DNS_ADDR_REPLACE:	write the filter's address and TTL instead
 */
enum dns_addr_verdict {
	DNS_ADDR_KEEP,
	DNS_ADDR_DROP,
	DNS_ADDR_REPLACE,
};

/**
 * struct dns_addr_record - an A or AAAA record shown to a rewrite filter
 * @owner:	owner name as lower-case dotted text without the trailing
 *		dot. A label byte that is not printable ASCII, or is a space,
 *		'.' or '\', appears as \DDD (decimal)
 * @type:	DNS_TYPE_A or DNS_TYPE_AAAA
 * @section:	section the record is in
 * @ttl:	time to live in seconds; the filter may lower or change it
 * @addr:	the address in network order; the filter writes the
 *		replacement here for DNS_ADDR_REPLACE
 * @addr_len:	4 for A, 16 for AAAA; the replacement has the same length
 */
struct dns_addr_record {
	const char *owner;
	uint16_t type;
	enum dns_section section;
	uint32_t ttl;
	uint8_t addr[16];
	size_t addr_len;
};

/**
 * typedef dns_addr_filter - decides on each IN-class A and AAAA record
 * @rec:	the record; @rec->ttl and @rec->addr may be changed
 * @ctx:	the caller's context
 *
 * Return: a verdict; a value outside enum dns_addr_verdict drops the record
 */
typedef enum dns_addr_verdict (*dns_addr_filter)(struct dns_addr_record *rec,
						 void *ctx);

enum dns_parse_status dns_query_parse(const uint8_t *msg, size_t len,
				      struct dns_query *q);

int dns_reply_init(struct dns_reply *r, uint8_t *buf, size_t size,
		   const struct dns_query *q, enum dns_transport transport,
		   uint16_t rcode);
int dns_reply_add_rr(struct dns_reply *r, uint16_t type, uint32_t ttl,
		     const uint8_t *rdata, size_t rdlen);
int dns_reply_add_a(struct dns_reply *r, const uint8_t addr[4], uint32_t ttl);
int dns_reply_finish(struct dns_reply *r);

int dns_query_write(uint8_t *buf, size_t size, uint16_t id, const char *name,
		    uint16_t qtype, uint16_t qclass, uint16_t edns_udp_size);

int dns_response_rewrite(const uint8_t *resp, size_t resp_len,
			 const struct dns_query *q,
			 enum dns_transport transport, dns_addr_filter filter,
			 void *ctx, uint8_t *out, size_t out_size);

int dns_name_from_text(const char *text, uint8_t wire[DNS_NAME_WIRE_MAX]);

const char *dns_type_str(uint16_t type, char buf[DNS_MNEMONIC_SIZE]);
const char *dns_class_str(uint16_t qclass, char buf[DNS_MNEMONIC_SIZE]);
const char *dns_rcode_str(uint16_t rcode, char buf[DNS_MNEMONIC_SIZE]);

ssize_t dns_tcp_frame_get(const uint8_t *buf, size_t len, const uint8_t **msg,
			  size_t *msg_len);
int dns_tcp_prefix_put(uint8_t prefix[2], size_t msg_len);

#endif /* SLUICE_DNS_MSG_H */
