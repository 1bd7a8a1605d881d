/* tests for web/http/replies.c: the answers every handler writes */
#include <string.h>

#include "core/core.h"
#include "web/http/http.h"
#include "../../../harness.h"

static void
response_init(struct http_response *res)
{
	memset(res, 0, sizeof(*res));
	buf_init(&res->body, 0);
}

/* a message with quotes or backslashes stays one valid JSON string */
TEST(reply_json_error_escapes_the_message)
{
	struct http_response res;

	response_init(&res);
	http_reply_json_error(&res, 400, "say \"hi\" \\ bye");
	CHECK_INT(res.status, 400);
	CHECK_STR(res.content_type, "application/json");
	CHECK_STR(res.body.data, "{\"error\":\"say \\\"hi\\\" \\\\ bye\"}\n");
	buf_free(&res.body);
}

/* the body is compact JSON and one line; an earlier body is replaced */
TEST(reply_json_is_compact_and_replaces_the_body)
{
	struct http_response res;

	response_init(&res);
	http_reply_text(&res, 500, "old\n");
	CHECK_STR(res.content_type, "text/plain; charset=utf-8");
	http_reply_json(&res, 201, json_pack("{s:I,s:s}", "id", (json_int_t)7, "state", "queued"));
	CHECK_INT(res.status, 201);
	CHECK_STR(res.content_type, "application/json");
	CHECK_STR(res.body.data, "{\"id\":7,\"state\":\"queued\"}\n");
	buf_free(&res.body);
}

/* a redirect is a 303 with Location, its strings copied into the request's arena */
TEST(reply_redirect_sets_location)
{
	struct http_request req;
	struct http_response res;
	char where[] = "/newsroom/signin";

	memset(&req, 0, sizeof(req));
	req.arena = arena_new(0);
	response_init(&res);
	http_reply_redirect(&req, &res, where);
	where[1] = 'X';
	CHECK_INT(res.status, 303);
	CHECK_INT(res.nheaders, 1);
	CHECK_STR(res.headers[0][0], "Location");
	CHECK_STR(res.headers[0][1], "/newsroom/signin");
	buf_free(&res.body);
	arena_free(req.arena);
}
