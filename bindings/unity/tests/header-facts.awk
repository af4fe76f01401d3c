# Reads capi/include/modio_market.h and writes a C program that prints, one per line:
#   struct NAME SIZE              (sizeof)
#   field NAME FIELD OFFSET SIZE  (offsetof and sizeof of each field, in declaration order)
#   const NAME VALUE              (every #define and enum constant)
#   func NAME PARAM_COUNT RETURN  (every exported function; RETURN is result, void or pointer)
#   param NAME INDEX C_TYPE       (each parameter's type, e.g. "const char *"; the rest of the line)
#   cbparam NAME INDEX C_TYPE     (the same for each callback typedef)
# The Mono tests compare these with the C# mirrors, enums and [DllImport]s, so anything added to
# or changed in the header and not mirrored in bindings/unity fails the suite.
# Every exported function is declared `MODIO_MARKET_API <return> name(...)`: the export macro is
# dropped before the rules below read the line.
{ sub(/^MODIO_MARKET_API /, "") }
BEGIN {
  print "#include <stdio.h>"
  print "#include <stddef.h>"
  print "#include \"modio_market.h\""
  print "int main(void) {"
}
/^typedef struct [a-z0-9_]+ \{/ {
  name = $3; in_struct = 1
  printf "  printf(\"struct %s %%zu\\n\", sizeof(%s));\n", name, name
  next
}
in_struct && /^\}/ { in_struct = 0; next }
in_struct && /;/ && !/^ *(\/\/|\/\*|\*)/ {
  line = $0; sub(/;.*/, "", line); gsub(/[*]/, " ", line)
  n = split(line, parts, /[ \t]+/); field = parts[n]
  printf "  printf(\"field %s %s %%zu %%zu\\n\", offsetof(%s, %s), sizeof(((%s *)0)->%s));\n", name, field, name, field, name, field
  next
}
/^#define MODIO_MARKET_[A-Z0-9_]+ / && $2 != "MODIO_MARKET_H" && $2 != "MODIO_MARKET_API" && $2 != "MODIO_MARKET_VERSION_CHECK()" {
  printf "  printf(\"const %s %%lld\\n\", (long long)(%s));\n", $2, $2
  next
}
/^  MODIO_MARKET_[A-Z0-9_]+ = / {
  c = $1
  printf "  printf(\"const %s %%lld\\n\", (long long)(%s));\n", c, c
  next
}
/^[a-z0-9_ ]+[ *]modio_market_[a-z0-9_]+\(.*\);$/ {
  decl = $0
  fname = decl; sub(/\(.*/, "", fname); sub(/.*[ *]/, "", fname)
  params = decl; sub(/^[^(]*\(/, "", params); sub(/\);$/, "", params)
  count = (params == "void" || params == "") ? 0 : split(params, plist, ",")
  ret = decl; sub(/modio_market_[a-z0-9_]+\(.*/, "", ret)
  kind = (ret ~ /\*/) ? "pointer" : (ret ~ /^void/) ? "void" : (ret ~ /^modio_market_result/) ? "result" : (ret ~ /^bool/) ? "bool" : "other"
  printf "  printf(\"func %s %d %s\\n\");\n", fname, count, kind
  for (i = 1; i <= count; i++) {
    t = plist[i]
    sub(/[A-Za-z_][A-Za-z0-9_]*[ \t]*$/, "", t)   # drop the parameter name
    gsub(/[ \t]+/, " ", t); gsub(/ \*/, "*", t); gsub(/\*/, " *", t); gsub(/\* \*/, "**", t)
    sub(/^ +/, "", t); sub(/ +$/, "", t)
    printf "  printf(\"param %s %d %s\\n\");\n", fname, i - 1, t
  }
  printf "  (void)&%s;\n", fname
  next
}
/^typedef void \(\*modio_market_[a-z0-9_]+\)\(.*\);$/ {
  handled_typedef = 1
  cb = $0; sub(/^typedef void \(\*/, "", cb); sub(/\).*/, "", cb)
  params = $0; sub(/^typedef void \(\*[a-z0-9_]+\)\(/, "", params); sub(/\);$/, "", params)
  count = split(params, plist, ",")
  printf "  printf(\"callback %s %d\\n\");\n", cb, count
  for (i = 1; i <= count; i++) {
    t = plist[i]
    sub(/[A-Za-z_][A-Za-z0-9_]*[ \t]*$/, "", t)
    gsub(/[ \t]+/, " ", t); gsub(/ \*/, "*", t); gsub(/\*/, " *", t); gsub(/\* \*/, "**", t)
    sub(/^ +/, "", t); sub(/ +$/, "", t)
    printf "  printf(\"cbparam %s %d %s\\n\");\n", cb, i - 1, t
  }
  next
}
# Anything else that looks like a declaration of ours was not understood: fail the build loudly
# rather than silently leave it unchecked.
!/^ *(\/\/|\/\*|\*)/ && !/^#/ && /modio_market_[a-z0-9_]+ *\(/ && !/^typedef / {
  printf "#error \"header-facts.awk did not understand: %s\"\n", $0
}
# Opaque handles (no layout to mirror) and the C spellings of the enums.
/^typedef struct [A-Za-z0-9_]+ [A-Za-z0-9_]+;/ || /^typedef enum / || /^typedef uint32_t / { next }
/^typedef / && !/^typedef void \(\*/ {
  printf "#error \"header-facts.awk did not understand: %s\"\n", $0
}
END {
  print "  return 0;"
  print "}"
}
