// A small C surface over libyara (YARA 4.x) for Unfold's portable YARA engine, compiled to WebAssembly by
// build.sh. Rules are compiled once and scanned many times (one call per decompressed page); matches are
// written to a flat int32 array (rule index, offset, length) that JavaScript reads straight from the heap,
// so a page with no match costs one call and allocates nothing.
//
// Includes are disabled: the include callback is NULL, so libyara's lexer answers any `include` with
// "includes are disabled" instead of opening a file.

#include <stdlib.h>
#include <string.h>
#include <yara.h>

static char error_message[1024];
static int error_line = 0;
static int error_seen = 0;

static void on_compile_message(int level, const char* file, int line, const YR_RULE* rule, const char* message, void* user)
{
  (void) file; (void) rule; (void) user;
  if (level != YARA_ERROR_LEVEL_ERROR || error_seen) return;
  error_seen = 1;
  error_line = line;
  strncpy(error_message, message, sizeof(error_message) - 1);
  error_message[sizeof(error_message) - 1] = 0;
}

int uy_init(void) { return yr_initialize(); }

const char* uy_version(void) { return YR_VERSION; }

const char* uy_error_message(void) { return error_message; }
int uy_error_line(void) { return error_line; }

// Returns a handle (YR_RULES*) or 0 with the first error in uy_error_message()/uy_error_line().
YR_RULES* uy_compile(const char* source)
{
  YR_COMPILER* compiler = NULL;
  YR_RULES* rules = NULL;
  error_seen = 0;
  error_line = 0;
  error_message[0] = 0;
  if (yr_compiler_create(&compiler) != ERROR_SUCCESS)
  {
    strcpy(error_message, "libyara could not create a compiler (out of memory)");
    return NULL;
  }
  yr_compiler_set_include_callback(compiler, NULL, NULL, NULL);
  yr_compiler_set_callback(compiler, on_compile_message, NULL);
  if (yr_compiler_add_string(compiler, source, NULL) == 0)
  {
    int rc = yr_compiler_get_rules(compiler, &rules);
    if (rc != ERROR_SUCCESS)
    {
      rules = NULL;
      if (!error_seen) strcpy(error_message, "libyara could not build the rules");
    }
  }
  else if (!error_seen)
    strcpy(error_message, "syntax error");
  yr_compiler_destroy(compiler);
  return rules;
}

void uy_rules_free(YR_RULES* rules) { if (rules) yr_rules_destroy(rules); }

uint32_t uy_rule_count(YR_RULES* rules) { return rules->num_rules; }

const char* uy_rule_name(YR_RULES* rules, uint32_t index) { return rules->rules_table[index].identifier; }

typedef struct
{
  YR_RULES* rules;
  YR_SCANNER* scanner;
  int32_t* out;
  uint32_t count;     // triples written
  uint32_t capacity;  // triples that fit
  int failed;
} UY_SCAN;

static int push(UY_SCAN* s, int32_t rule, int32_t offset, int32_t length)
{
  if (s->count == s->capacity)
  {
    uint32_t cap = s->capacity ? s->capacity * 2 : 256;
    int32_t* grown = realloc(s->out, (size_t) cap * 3 * sizeof(int32_t));
    if (!grown) { s->failed = 1; return 0; }
    s->out = grown;
    s->capacity = cap;
  }
  int32_t* t = s->out + (size_t) s->count * 3;
  t[0] = rule; t[1] = offset; t[2] = length;
  s->count++;
  return 1;
}

static int on_scan_message(YR_SCAN_CONTEXT* context, int message, void* data, void* user)
{
  if (message != CALLBACK_MSG_RULE_MATCHING) return CALLBACK_CONTINUE;
  UY_SCAN* s = (UY_SCAN*) user;
  YR_RULE* rule = (YR_RULE*) data;
  int32_t index = (int32_t) (rule - s->rules->rules_table);
  YR_STRING* string;
  YR_MATCH* match;
  int any = 0;
  yr_rule_strings_foreach(rule, string)
  {
    yr_string_matches_foreach(context, string, match)
    {
      if (!push(s, index, (int32_t) (match->base + match->offset), match->match_length)) return CALLBACK_ABORT;
      any = 1;
    }
  }
  // A rule that matched on its condition alone is reported once, at offset 0 with length 0.
  if (!any && !push(s, index, 0, 0)) return CALLBACK_ABORT;
  return CALLBACK_CONTINUE;
}

UY_SCAN* uy_scanner(YR_RULES* rules)
{
  UY_SCAN* s = calloc(1, sizeof(UY_SCAN));
  if (!s) return NULL;
  s->rules = rules;
  if (yr_scanner_create(rules, &s->scanner) != ERROR_SUCCESS) { free(s); return NULL; }
  yr_scanner_set_callback(s->scanner, on_scan_message, s);
  yr_scanner_set_flags(s->scanner, 0);
  return s;
}

void uy_scanner_free(UY_SCAN* s)
{
  if (!s) return;
  yr_scanner_destroy(s->scanner);
  free(s->out);
  free(s);
}

// Scans one buffer; returns the number of (rule, offset, length) triples, or -(libyara error) on failure.
int32_t uy_scan(UY_SCAN* s, const uint8_t* data, uint32_t length)
{
  s->count = 0;
  s->failed = 0;
  int rc = yr_scanner_scan_mem(s->scanner, data, length);
  if (s->failed) return -ERROR_INSUFFICIENT_MEMORY;
  if (rc != ERROR_SUCCESS) return -rc;
  return (int32_t) s->count;
}

int32_t* uy_matches(UY_SCAN* s) { return s->out; }
