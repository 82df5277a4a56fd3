# Builds and installs fdvjp for C, C++ and Fortran users.
#
#   make install PREFIX=/opt/fdvjp     # also: DESTDIR, LIBDIR, INCLUDEDIR
#   make uninstall PREFIX=/opt/fdvjp
#
# Installs lib/libfdvjp.so.$(VERSION) (soname libfdvjp.so.$(SOVERSION)) with the .so.$(SOVERSION)
# and .so links, lib/libfdvjp.a, include/fdvjp.h and fdvjp.hpp, lib/pkgconfig/fdvjp.pc,
# lib/cmake/fdvjp/fdvjpConfig.cmake (+ ConfigVersion) with the imported targets fdvjp::fdvjp
# and fdvjp::fdvjp_static (both carry cxx_std_17 for the C++ header),
# and the Fortran module sources under share/fdvjp/fortran (fdvjp_c.f90 generated from the header).
#
# The installed library is built in its own target directory with FDVJP_SONAME=1 (see
# build.rs): the everyday target/release build has no soname, so that programs linked
# against it find target/release/libfdvjp.so itself.

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
DESTDIR ?=
CARGO ?= cargo
INSTALL_TARGET_DIR ?= target/install

VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)
VERSION_MAJOR := $(word 1,$(subst ., ,$(VERSION)))
VERSION_MINOR := $(word 2,$(subst ., ,$(VERSION)))
SOVERSION := $(VERSION_MAJOR)
# What the static library needs from the system: `rustc --print native-static-libs` minus
# -lgcc_s. The unwinder that -lgcc_s stands for is linked by the compiler driver itself
# (libgcc_s for a dynamic link, libgcc_eh for `cc -static`); naming it breaks `cc -static`,
# since Debian ships no libgcc_s.a.
NATIVE_LIBS := -lutil -lrt -lpthread -lm -ldl -lc

BUILT := $(INSTALL_TARGET_DIR)/release
CMAKEDIR := $(LIBDIR)/cmake/fdvjp
relative = $(shell realpath -m --relative-to='$(1)' '$(2)')

.PHONY: all build install uninstall
all: build

build:
	FDVJP_SONAME=1 $(CARGO) build --release --lib --target-dir $(INSTALL_TARGET_DIR)

install: build
	install -d '$(DESTDIR)$(LIBDIR)/pkgconfig' '$(DESTDIR)$(CMAKEDIR)' \
	  '$(DESTDIR)$(INCLUDEDIR)/fdvjp' '$(DESTDIR)$(DATADIR)/fdvjp/fortran'
	install -m 755 $(BUILT)/libfdvjp.so '$(DESTDIR)$(LIBDIR)/libfdvjp.so.$(VERSION)'
	ln -sf libfdvjp.so.$(VERSION) '$(DESTDIR)$(LIBDIR)/libfdvjp.so.$(SOVERSION)'
	ln -sf libfdvjp.so.$(SOVERSION) '$(DESTDIR)$(LIBDIR)/libfdvjp.so'
	install -m 644 $(BUILT)/libfdvjp.a '$(DESTDIR)$(LIBDIR)/libfdvjp.a'
	install -m 644 include/fdvjp.h bindings/cpp/fdvjp.hpp '$(DESTDIR)$(INCLUDEDIR)/'
	install -m 644 bindings/cpp/fdvjp/*.hpp '$(DESTDIR)$(INCLUDEDIR)/fdvjp/'
	install -m 644 bindings/fortran/fdvjp.f90 '$(DESTDIR)$(DATADIR)/fdvjp/fortran/'
	python3 bindings/fortran/generate_interfaces.py '$(DESTDIR)$(DATADIR)/fdvjp/fortran/fdvjp_c.f90'
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@NATIVE_LIBS@|$(NATIVE_LIBS)|' \
	    packaging/fdvjp.pc.in > '$(DESTDIR)$(LIBDIR)/pkgconfig/fdvjp.pc'
	sed -e 's|@CMAKEDIR_TO_PREFIX@|$(call relative,$(CMAKEDIR),$(PREFIX))|' \
	    -e 's|@LIBDIR_REL@|$(call relative,$(PREFIX),$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR_REL@|$(call relative,$(PREFIX),$(INCLUDEDIR))|' \
	    -e 's|@VERSION@|$(VERSION)|g' -e 's|@SOVERSION@|$(SOVERSION)|g' \
	    -e 's|@NATIVE_LIBS_CMAKE@|$(subst $() ,;,$(NATIVE_LIBS))|' \
	    packaging/fdvjpConfig.cmake.in > '$(DESTDIR)$(CMAKEDIR)/fdvjpConfig.cmake'
	sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@VERSION_MAJOR@|$(VERSION_MAJOR)|g' \
	    -e 's|@VERSION_MINOR@|$(VERSION_MINOR)|g' \
	    packaging/fdvjpConfigVersion.cmake.in > '$(DESTDIR)$(CMAKEDIR)/fdvjpConfigVersion.cmake'

uninstall:
	rm -f '$(DESTDIR)$(LIBDIR)/libfdvjp.so.$(VERSION)' '$(DESTDIR)$(LIBDIR)/libfdvjp.so.$(SOVERSION)' \
	  '$(DESTDIR)$(LIBDIR)/libfdvjp.so' '$(DESTDIR)$(LIBDIR)/libfdvjp.a' \
	  '$(DESTDIR)$(INCLUDEDIR)/fdvjp.h' '$(DESTDIR)$(INCLUDEDIR)/fdvjp.hpp' \
	  '$(DESTDIR)$(LIBDIR)/pkgconfig/fdvjp.pc' '$(DESTDIR)$(CMAKEDIR)/fdvjpConfig.cmake' \
	  '$(DESTDIR)$(CMAKEDIR)/fdvjpConfigVersion.cmake' \
	  '$(DESTDIR)$(DATADIR)/fdvjp/fortran/fdvjp.f90' '$(DESTDIR)$(DATADIR)/fdvjp/fortran/fdvjp_c.f90'
	rm -f $(patsubst bindings/cpp/%,'$(DESTDIR)$(INCLUDEDIR)/%',$(wildcard bindings/cpp/fdvjp/*.hpp))
	-rmdir '$(DESTDIR)$(INCLUDEDIR)/fdvjp' '$(DESTDIR)$(CMAKEDIR)' '$(DESTDIR)$(DATADIR)/fdvjp/fortran' '$(DESTDIR)$(DATADIR)/fdvjp'
