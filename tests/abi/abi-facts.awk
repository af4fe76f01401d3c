# Reads a modio_market.h and writes a C program that, compiled against a header, prints:
#   struct NAME SIZE
#   field NAME FIELD OFFSET SIZE
#   const NAME VALUE
# for every struct, field, #define and enum constant of the header it was READ from; and that
# checks at compile time that every function and callback typedef of that header has exactly
# the same type in the header it is COMPILED against. tests/abi/run.sh reads the frozen 1.0
# header and compiles the program against both: equal facts (structs may only grow), and a
# compile error for any changed signature.
BEGIN {
  print "#include <stdio.h>"
  print "#include <stddef.h>"
  print "#include \"modio_market.h\""
  n_funcs = 0; n_cbs = 0
}
{ line = $0; sub(/^MODIO_MARKET_API /, "", line) }
line ~ /^typedef struct [a-z0-9_]+ \{/ { split(line, w, " "); name = w[3]; in_struct = 1; structs[++n_structs] = name; next }
in_struct && line ~ /^\}/ { in_struct = 0; next }
in_struct && line ~ /;/ && line !~ /^ *(\/\/|\/\*|\*)/ {
  f = line; sub(/;.*/, "", f); gsub(/[*]/, " ", f); k = split(f, parts, /[ \t]+/)
  fields[++n_fields] = name " " parts[k]; next
}
line ~ /^#define MODIO_MARKET_[A-Z0-9_]+ [(0-9]/ { split(line, w, " "); consts[++n_consts] = w[2]; next }
line ~ /^  MODIO_MARKET_[A-Z0-9_]+ = / { split(line, w, " "); consts[++n_consts] = w[1]; next }
line ~ /^[a-z][a-z0-9_ *]*[ *]modio_market_[a-z0-9_]+\(.*\);$/ {
  decl = line; fname = decl; sub(/\(.*/, "", fname); sub(/.*[ *]/, "", fname)
  ret = decl; sub(/modio_market_[a-z0-9_]+\(.*/, "", ret); params = decl; sub(/^[^(]*\(/, "", params); sub(/\);$/, "", params)
  funcs[++n_funcs] = "static " ret "(*frozen_" fname ")(" params ") = " fname ";"; names[n_funcs] = fname; next
}
line ~ /^typedef void \(\*modio_market_[a-z0-9_]+\)\(.*\);$/ {
  cb = line; sub(/^typedef void \(\*/, "", cb); sub(/\).*/, "", cb)
  t = line; sub(/\(\*modio_market_/, "(*frozen_type_modio_market_", t)
  cbs[++n_cbs] = t "\n_Static_assert(__builtin_types_compatible_p(frozen_type_" cb ", " cb "), \"callback type " cb " changed\");"
  next
}
END {
  for (i = 1; i <= n_funcs; i++) print funcs[i]
  for (i = 1; i <= n_cbs; i++) print cbs[i]
  print "int main(void) {"
  for (i = 1; i <= n_structs; i++) printf "  printf(\"struct %s %%zu\\n\", sizeof(%s));\n", structs[i], structs[i]
  for (i = 1; i <= n_fields; i++) {
    split(fields[i], nf, " ")
    printf "  printf(\"field %s %s %%zu %%zu\\n\", offsetof(%s, %s), sizeof(((%s *)0)->%s));\n", nf[1], nf[2], nf[1], nf[2], nf[1], nf[2]
  }
  for (i = 1; i <= n_consts; i++) printf "  printf(\"const %s %%lld\\n\", (long long)(%s));\n", consts[i], consts[i]
  for (i = 1; i <= n_funcs; i++) printf "  (void)frozen_%s;\n", names[i]
  printf "  printf(\"functions %d callbacks %d\\n\");\n", n_funcs, n_cbs
  print "  return 0;"
  print "}"
}
