#!/bin/sh
# Rebuilds libyara.mjs (libyara compiled to WebAssembly, embedded in one ES module that needs no file, network or Node API) from a YARA source
# tree. Needs emscripten (Debian: apt-get install emscripten). Usage: core/search/libyara-wasm/build.sh <yara-src>
# The result is committed, so neither emscripten nor the YARA sources are needed to install or run Unfold.
set -eu
# Debian's emscripten runs its JS optimizer with the system node and Debian's node-acorn package.
export NODE_PATH="${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs"
src=${1:?usage: build.sh <path to a YARA 4.x source tree>}
here=$(cd "$(dirname "$0")" && pwd)
y="$src/libyara"
core="ahocorasick arena atoms base64 bitmask compiler endian exec exefiles filemap grammar hash hex_grammar
hex_lexer lexer libyara mem modules notebook object parser proc re re_grammar re_lexer rules scan scanner
simple_str sizedstr stack stopwatch stream strutils threading tlshc/tlsh tlshc/tlsh_impl tlshc/tlsh_util
proc/none modules/tests/tests modules/pe/pe modules/pe/pe_utils modules/elf/elf modules/math/math
modules/time/time modules/console/console modules/string/string modules/dotnet/dotnet modules/macho/macho
modules/dex/dex"
files=""
for f in $core; do files="$files $y/$f.c"; done
emcc -O3 -D_GNU_SOURCE -DUSE_NO_PROC -DDOTNET_MODULE -DMACHO_MODULE -DDEX_MODULE -DNDEBUG -DBUCKETS_128=1 -DCHECKSUM_1B=1 \
  -I"$y/include" -I"$y" \
  -Wno-unused-function -Wno-deprecated-non-prototype \
  $files "$here/unfold_yara.c" \
  -s MODULARIZE=1 -s EXPORT_NAME=createLibyara -s SINGLE_FILE=1 -s ENVIRONMENT=web -s EXPORT_ES6=1 \
  -s WASM_ASYNC_COMPILATION=0 -s ALLOW_MEMORY_GROWTH=1 -s INITIAL_MEMORY=16MB \
  -s FILESYSTEM=0 \
  -s EXPORTED_FUNCTIONS=_uy_init,_uy_version,_uy_compile,_uy_error_message,_uy_error_line,_uy_rules_free,_uy_rule_count,_uy_rule_name,_uy_scanner,_uy_scanner_free,_uy_scan,_uy_matches,_malloc,_free \
  -s EXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8 \
  -o "$here/libyara.mjs"
echo "built $here/libyara.mjs ($(wc -c < "$here/libyara.mjs") bytes)"
