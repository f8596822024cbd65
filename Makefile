# kite — top-level commands.  The real build is CMake; this file only names the jobs.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
FUZZ_SECONDS ?= 60
PREFIX     ?= /usr/local

.PHONY: all check asan fuzz fuzz-run bench demo demo-cert install uninstall deb clean

all:
	cmake -S . -B $(BUILD) >/dev/null
	MAKEFLAGS= cmake --build $(BUILD) -j$(JOBS)

# installs what is missing, builds, runs every test; ends with ctest's summary
check:
	scripts/deps.sh build interop
	$(MAKE) all
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

# every test under AddressSanitizer + UndefinedBehaviorSanitizer; the netns
# tests run the sanitized kited and fail on any report in its log (those
# labelled slow, long traffic and soak runs, are left to make check)
asan:
	scripts/deps.sh build interop
	cmake -S . -B $(ASAN_BUILD) -DKITE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
	MAKEFLAGS= cmake --build $(ASAN_BUILD) -j$(JOBS)
	cd $(ASAN_BUILD) && ctest --output-on-failure -j$(JOBS) -L 'unit|kat|vectors|exchange'
	cd $(ASAN_BUILD) && ctest --output-on-failure -L netns -LE slow

# libFuzzer targets (clang)
fuzz:
	scripts/deps.sh build fuzz
	CC=clang cmake -S . -B $(FUZZ_BUILD) -DKITE_FUZZ=ON >/dev/null
	MAKEFLAGS= cmake --build $(FUZZ_BUILD) -j$(JOBS)

# run every fuzz target for FUZZ_SECONDS each, from its seed corpus
fuzz-run: fuzz
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

bench:
	scripts/deps.sh build
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release >/dev/null
	MAKEFLAGS= cmake --build $(BUILD) -j$(JOBS)
	bench/run.sh $(BUILD)

# two namespaces, a kited in each, a tunnel, traffic through it (root)
demo:
	scripts/deps.sh build demo
	$(MAKE) all
	scripts/demo.sh $(BUILD)

# the same with certificates (examples/cert/, credentials made for the demo)
demo-cert:
	scripts/deps.sh build demo
	$(MAKE) all
	DEMO=cert scripts/demo.sh $(BUILD)

# kited, kitectl, man pages, the systemd unit, docs under $(DESTDIR)$(PREFIX);
# /etc/kite/swanctl.conf only if there is none
install:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	MAKEFLAGS= cmake --build $(BUILD) -j$(JOBS)
	cmake --install $(BUILD)

# removes what install put there, except the configuration under /etc/kite
uninstall:
	scripts/uninstall.sh $(BUILD)

# a Debian package (kite_VERSION_ARCH.deb in the current directory)
deb:
	scripts/deps.sh build
	scripts/mkdeb.sh $(BUILD)-deb .

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
