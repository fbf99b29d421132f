# Shared by the shell benchmarks (sourced, not run): error exit, arithmetic and verdicts in awk,
# and the section heading every report uses.
die() {
  echo "bench: error: $*" >&2
  exit 1
}
section() { printf '\n== %s ==\n' "$*"; }
# calc FORMAT EXPRESSION: the expression evaluated by awk, printed with the printf format.
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
# verdict CONDITION: PASS when the awk condition holds, FAIL otherwise.
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"FAIL\" }"; }
# use_build DIR: sets BUILD (DIR, absolute) and SEALPOST (its server binary), or exits when
# either is missing.
use_build() {
  [[ -d $1 ]] || die "build directory $1 does not exist"
  BUILD=$(cd "$1" && pwd)
  SEALPOST=$BUILD/src/cmd/sealpost
  [[ -x $SEALPOST ]] || die "$SEALPOST is missing"
}
