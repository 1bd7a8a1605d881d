# newsflash - one non-recursive GNU Makefile
#
#   make            build build/newsflash
#   make check      every test: unit, spec, fuzz corpora, integration, browser
#   make asan       the same tests under AddressSanitizer + UBSan (build/asan)
#   make fuzz       libFuzzer targets, FUZZ_SECONDS each (clang)
#   make bench      the benchmarks under bench/
#   make run        the service on its embedded defaults (SQLite, Maildir)
#   make install    PREFIX=/usr/local DESTDIR= (binary, templates, man page,
#                   systemd unit, an example configuration)
#   make deb        a Debian package in build/deb/ (debian/, debhelper)
#
# Modules are found, not listed: every src/MODULE/*.c and src/MODULE/WING/*.c
# goes into the library (but src/cli/, which is the program), every
# tests/unit/MODULE/*.c and tests/unit/MODULE/WING/*.c into the unit
# test runner, every tests/fuzz/fuzz_*.c is a fuzz target.

CC ?= cc
BUILD ?= build
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/newsflash
MANDIR ?= $(PREFIX)/share/man
# /usr's configuration lives in /etc (FHS), any other prefix's under it
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
FUZZ_SECONDS ?= 20
# debian/changelog's version, plus the commits since it (scripts/version)
NEWSFLASH_VERSION ?= $(shell scripts/version 2>/dev/null)
SAN ?=

PKGS := openssl sqlite3 libpq jansson libidn2 libmicrohttpd gmime-3.0 libargon2 gumbo libpsl libcares libcurl

# The goals that install what is missing first (deps) build nothing in this
# make: they run a second make once deps is done, which reads pkg-config's
# answers only then. A fresh machine has no libraries when this file is
# parsed, so flags read now would be empty.
DEPS_FIRST := deps clean check asan fuzz bench run deb
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
ifeq ($(PKG_LIBS),)
  ifeq ($(filter $(DEPS_FIRST),$(MAKECMDGOALS)),)
    $(error missing libraries: run scripts/deps (or make check / make run, which do))
  endif
endif

OPT ?= -O2
CFLAGS ?= $(OPT) -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread $(PKG_CFLAGS)
ifneq ($(SAN),)
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
# FUZZ=1 (make fuzz, with clang): the library and targets get libFuzzer's
# coverage hooks; only the targets link libFuzzer's main
ifneq ($(FUZZ),)
  CFLAGS += -fsanitize=fuzzer-no-link,address,undefined
  LDFLAGS += -fsanitize=fuzzer,address,undefined
endif
CPPFLAGS += -MMD -MP -Isrc -I$(BUILD)
# CRoaring (libroaring-dev): Debian 12 ships it without a pkg-config file
LDLIBS += $(PKG_LIBS) -lroaring -lunistring -lresolv -pthread -lm

LIB_SRCS := $(filter-out src/cli/%,$(wildcard src/*/*.c src/*/*/*.c))
CLI_SRCS := $(wildcard src/cli/*.c)
UNIT_SRCS := tests/harness.c $(wildcard tests/unit/*/*.c tests/unit/*/*/*.c)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(FUZZ_SRCS))

obj = $(patsubst %.c,$(BUILD)/obj/%.o,$(1))

LIB := $(BUILD)/libnewsflash.a
BIN := $(BUILD)/newsflash
UNIT := $(BUILD)/unit-tests
REPLAYS := $(patsubst %,$(BUILD)/fuzz-replay/%,$(FUZZ_NAMES))

.PHONY: all check check-only asan fuzz bench bench-only run run-only install deb deps clean
.SECONDARY:
all: $(BIN)

# make V=1 shows the whole command lines
V ?= 0
ifeq ($(V),0)
  Q := @
  say = @echo "  $(1)	$(2)";
endif

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# the install paths the program is built with (its default --templates and
# configuration file)
# and its version;
# rewritten only when they change, so a new PREFIX rebuilds the CLI alone
.PHONY: FORCE
$(BUILD)/paths.h: FORCE
	@mkdir -p $(@D)
	@{ echo '#define NEWSFLASH_TEMPLATES_DIR "$(DATADIR)/templates"'; \
	   echo '#define NEWSFLASH_CONFIG_FILE "$(SYSCONFDIR)/newsflash/newsflash.conf"'; \
	   echo '#define NEWSFLASH_VERSION "$(NEWSFLASH_VERSION)"'; } >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(call obj,$(CLI_SRCS)): $(BUILD)/paths.h

$(LIB): $(call obj,$(LIB_SRCS))
	@rm -f $@
	$(call say,AR,$@)$(AR) rcs $@ $^

$(BIN): $(call obj,$(CLI_SRCS)) $(LIB)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(UNIT): $(call obj,$(UNIT_SRCS)) $(LIB)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# each fuzz target also builds as a plain program that replays its corpus,
# so make check runs every corpus without needing clang
$(BUILD)/fuzz-replay/%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	scripts/deps

# check-only runs the tests without installing anything (CI calls deps once)
check-only: $(BIN) $(UNIT) $(REPLAYS)
	BUILD=$(BUILD) scripts/check

check: deps
	$(MAKE) check-only

asan: deps
	$(MAKE) BUILD=build/asan SAN=1 OPT=-O1 check-only

fuzz: deps
	$(MAKE) BUILD=build/fuzz CC=clang SAN= FUZZ=1 OPT=-O1 fuzz-targets
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz build/fuzz $(FUZZ_NAMES)

# the instrumented library is built once (build/fuzz/libnewsflash.a) and
# every target links against it
.PHONY: fuzz-targets
fuzz-targets: $(patsubst %,$(BUILD)/fuzzer/%,$(FUZZ_NAMES))
$(BUILD)/fuzzer/%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(LIB)
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

bench: deps
	$(MAKE) bench-only
bench-only: $(BIN)
	BUILD=$(BUILD) scripts/bench

run: deps
	$(MAKE) run-only
run-only: $(BIN)
	BUILD=$(BUILD) scripts/run $(ARGS)

# the Debian package, built with debhelper from a copy of the tree (build/deb/)
deb: deps
	scripts/deb

# the configuration file is installed once: an operator's edits stay
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/templates $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/newsflash
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/newsflash
	install -m 0644 templates/*.mustache templates/embed.js $(DESTDIR)$(DATADIR)/templates/
	install -m 0644 docs/newsflash.1 $(DESTDIR)$(MANDIR)/man1/newsflash.1
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		dist/newsflash.service.in >$(DESTDIR)$(UNITDIR)/newsflash.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/newsflash.service
	install -m 0644 dist/newsflash.conf $(DESTDIR)$(DATADIR)/newsflash.conf.example
	test -e $(DESTDIR)$(SYSCONFDIR)/newsflash/newsflash.conf || \
		install -m 0640 dist/newsflash.conf $(DESTDIR)$(SYSCONFDIR)/newsflash/newsflash.conf
	# readable by the service's group only: it may name keys and the relay's user
	-getent group newsflash >/dev/null && chgrp newsflash $(DESTDIR)$(SYSCONFDIR)/newsflash/newsflash.conf

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
