# tests/lib/dnsmasq.sh - a real DNS server with a local zone, for tests
#
# dnsmasq_start RECORD-OPTION...: start dnsmasq on 127.0.0.1:$DNS_PORT (a free
# port) answering only from the options given (--mx-host, --host-record,
# --dns-rr, --txt-record ...), authoritative for .test (--local=/test/), so
# unknown names under .test are NXDOMAIN. No upstream, no /etc/hosts, no
# /etc/dnsmasq.conf. Stopped at exit. Returns 1 when it did not come up.
# Needs tests/lib.sh sourced first (free_port, wait_port, cleanup_add, $WORK).

dnsmasq_start() {
	local bin
	bin=$(command -v dnsmasq || echo /usr/sbin/dnsmasq)
	[ -x "$bin" ] || return 1
	DNS_PORT=$(free_port)
	"$bin" --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--listen-address=127.0.0.1 --bind-interfaces --port="$DNS_PORT" \
		--user="$(id -un)" --local=/test/ --log-queries \
		--log-facility="$WORK/dnsmasq.log" --pid-file="$WORK/dnsmasq.pid" \
		"$@" >"$WORK/dnsmasq.out" 2>&1 &
	DNS_PID=$!
	cleanup_add "kill $DNS_PID"
	wait_port "$DNS_PORT" 10
}
