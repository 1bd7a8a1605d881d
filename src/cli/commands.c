/*
 * cli/commands.c - the table of subcommands
 *
 * Owns: which subcommands exist. Each module's command adds one row here
 * and a cmd_NAME.c beside it; nothing else changes.
 */
#include "cli.h"

const struct cli_command cli_commands[] = {
	{ "dkim", cmd_dkim, "make a DKIM key and print its DNS record (dkim keygen)" },
	{ "db", cmd_db, "the database: migrate, backup FILE, copy --from URL --to URL" },
	{ "help", cmd_help, "show this help" },
	{ "message", cmd_message, "print the alert a subscriber would get (message compose)" },
	{ "serve", cmd_serve, "run the signup pages, the API and the delivery engine" },
	{ "smtp", cmd_smtp, "send mail through a transport: smtp send" },
	{ "template", cmd_template, "render a Mustache template with JSON data (template render)" },
	{ "subscribers", cmd_subscribers, "import, export, count, show, erase or purge subscribers" },
	{ "worker", cmd_worker, "run the delivery engine only (extra nodes on PostgreSQL)" },
	{ "publish", cmd_publish, "publish an article; --breaking sends its alert" },
	{ "alerts", cmd_alerts, "list recent alerts with their state, counts and lists" },
	{ "lists", cmd_lists, "lists [create NAME]: the lists (topics) with member counts; make one" },
	{ "alert", cmd_alert, "alert cancel|resume ID: stop an alert mid-way, or send it to the rest" },
	{ "apikey", cmd_apikey, "apikey create NAME|list|revoke NAME: keys for the JSON API (shown once)" },
	{ "version", cmd_version, "print the version" },
	{ "address", cmd_address, "check email addresses as signup does" },
	{ "editor", cmd_editor, "editor add|passwd|list|remove: accounts for the newsroom at /newsroom" },
	{ "inbound", cmd_inbound, "inbound process MAILDIR: act on bounces, complaints, mailto unsubscribes" },
	{ "embed", cmd_embed, "embed snippet: the signup box's HTML for a publisher's article pages" },
	{ "config", cmd_config, "config check: report every problem in serve's configuration" },
	{ "webhook", cmd_webhook, "webhook add|list|remove|test|replay: signed event POSTs to other systems" },
	{ 0, 0, 0 }
};
