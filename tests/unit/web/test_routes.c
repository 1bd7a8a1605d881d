/* tests for web/routes.c: what the access log may show of a path */
#include <string.h>

#include "core/core.h"
#include "web/app.h"
#include "../../harness.h"

/* a token in a path is a working link: the log shows {token} instead */
TEST(log_path_hides_tokens)
{
	char out[HTTP_LOG_PATH_MAX];

	web_log_path("/confirm/abc.def", out, sizeof(out));
	CHECK_STR(out, "/confirm/{token}");
	web_log_path("/u/xyz", out, sizeof(out));
	CHECK_STR(out, "/u/{token}");
	web_log_path("/privacy/export/t", out, sizeof(out));
	CHECK_STR(out, "/privacy/export/{token}");
	web_log_path("/privacy/erase/t", out, sizeof(out));
	CHECK_STR(out, "/privacy/erase/{token}");
	web_log_path("/preferences/t", out, sizeof(out));
	CHECK_STR(out, "/preferences/{token}");
	web_log_path("/never/t", out, sizeof(out));
	CHECK_STR(out, "/never/{token}");
	web_log_path("/manage/t", out, sizeof(out));
	CHECK_STR(out, "/manage/{token}");
	web_log_path("/confirm/", out, sizeof(out));	/* no argument: nothing to hide */
	CHECK_STR(out, "/confirm/");
	web_log_path("/newsroom/alerts/12", out, sizeof(out));	/* an id is no secret */
	CHECK_STR(out, "/newsroom/alerts/12");
	web_log_path("/api/subscribe", out, sizeof(out));
	CHECK_STR(out, "/api/subscribe");
}
