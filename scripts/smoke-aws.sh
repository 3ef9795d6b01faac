#!/usr/bin/env bash
# npm run smoke:aws: deploy a throwaway stack into the AWS account of the current credentials,
# call it, check that a second preview is empty, then destroy and remove it, even when a step
# fails (docs/ci-cd.md, "A smoke run against AWS"). Never run by the tests: it costs money.
#
# npm run smoke:aws -- cleanup: finish the clean-up of a run that was killed before its own
# clean-up ended (GitHub kills a cancelled step 10 s after its SIGINT, mid-destroy). The run
# leaves .pulumi-build/<stack>.created from `stack init` until `stack rm`; without it this does
# nothing. Run it only once that run is dead: it cancels the update the run left in progress.
#
#   AWS_REGION        region (or AWS_DEFAULT_REGION); required to run, not to clean up
#   PULUMI_ORG        Pulumi Cloud organisation; unset: the backend's default
#   SMOKE_STACK       stack name, "smoke" or "smoke-<1-12 of a-z0-9>"; default smoke-<8 hex>
#   SMOKE_SAGEMAKER   off (default) or serverless: also deploy and invoke a serverless endpoint
#   SMOKE_PERMISSIONS_BOUNDARY_ARN  the stack's boundary, when the deploy role demands one (CI)
set -euo pipefail

cd "$(dirname "$0")/.."

fail() {
  echo "smoke: $*" >&2
  exit 2
}

MODE="${1:-run}"
[[ "$MODE" == run || "$MODE" == cleanup ]] || fail "usage: smoke-aws.sh [cleanup] (got '$MODE')"
[[ "$MODE" == run || -n "${SMOKE_STACK:-}" ]] || fail "cleanup needs SMOKE_STACK, the run's stack"
STACK="${SMOKE_STACK:-smoke-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')}"
# the run destroys this stack: only throwaway names, and short enough for SageMaker's 63 characters
[[ "$STACK" =~ ^smoke(-[a-z0-9]{1,12})?$ ]] ||
  fail "SMOKE_STACK must be 'smoke' or 'smoke-' and 1-12 of a-z0-9 (got '$STACK'): the run destroys it"
SAGEMAKER="${SMOKE_SAGEMAKER:-off}"
[[ "$SAGEMAKER" == off || "$SAGEMAKER" == serverless ]] ||
  fail "SMOKE_SAGEMAKER must be off or serverless (got '$SAGEMAKER')"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
[[ -n "$REGION" || "$MODE" == cleanup ]] || fail "set AWS_REGION to the region to deploy into"
FULL="${PULUMI_ORG:+$PULUMI_ORG/iris-mlops/}$STACK"
# this run created the stack and has not removed it yet; holds the stack's full name
CREATED=".pulumi-build/$STACK.created"

step() { printf '\n==> %s\n' "$*" >&2; }
run() {
  printf '+ %s\n' "$*" >&2
  "$@"
}
expect() { # expect WHAT TEXT PATTERN: the answer must contain the pattern
  if [[ "$2" != *"$3"* ]]; then
    echo "smoke: $1 answered '$2', expected it to contain '$3'" >&2
    return 1
  fi
  echo "$1: $2" >&2
}
p() { run pulumi "$@" --stack "$FULL" --non-interactive; }

created=0
OUT=""
cleanup() {
  local status=$?
  trap - EXIT
  # the clean-up runs to its end: a second signal (GitHub's cancel sends SIGINT, then SIGTERM)
  # must not cut destroy short or skip stack rm; ignored here, ignored by pulumi too
  trap '' INT TERM
  failed() { if [[ "$status" == 0 ]]; then status=1; fi; }
  if [[ "$created" == 1 ]]; then
    step "clean up: destroy $FULL, then remove it"
    if p destroy --yes; then
      if p stack rm --yes; then rm -f "$CREATED"; else failed; fi
    else
      # keep the stack: its state is what still knows which resources to delete
      echo "smoke: destroy failed; $FULL is kept so nothing is orphaned. Rerun:" >&2
      echo "  pulumi destroy --stack $FULL --yes && pulumi stack rm --stack $FULL --yes" >&2
      failed
    fi
  fi
  rm -rf ".pulumi-build/$STACK" ${OUT:+"$OUT"}
  if [[ "$status" != 0 ]]; then
    echo "smoke: FAILED ($status)" >&2
  elif [[ "$MODE" == run ]]; then
    echo "smoke: passed ($FULL)" >&2
  else
    echo "smoke: cleaned up ($FULL)" >&2
  fi
  exit "$status"
}

if [[ "$MODE" == cleanup ]]; then
  if [[ ! -f "$CREATED" ]]; then
    echo "smoke: nothing to clean up: no run left $STACK behind" >&2
    exit 0
  fi
  FULL="$(<"$CREATED")"
  created=1
  trap cleanup EXIT
  step "finish the clean-up of an interrupted run: $FULL"
  # a run killed mid-update leaves that update marked in progress, and destroy would refuse to
  # start; with nothing in progress (or a backend without cancel) this fails, harmlessly
  p cancel --yes || true
  exit 0
fi

trap cleanup EXIT

step "create the stack $FULL"
# a signal during init is held until init has returned, so that a stack it created is known
# (created=1) and cleaned up; then it ends the run as it would have
signalled=""
trap 'signalled=130' INT
trap 'signalled=143' TERM
run pulumi stack init "$FULL" --non-interactive
created=1
mkdir -p .pulumi-build
printf '%s\n' "$FULL" >"$CREATED"
trap 'exit 130' INT
trap 'exit 143' TERM
if [[ -n "$signalled" ]]; then exit "$signalled"; fi
p config set aws:region "$REGION"
# a throwaway stack: its bucket and image repository must go on destroy even when not empty
p config set --path iris-mlops:bucket.forceDestroy true
p config set --path iris-mlops:image.forceDelete true
p config set --path iris-mlops:sagemaker.enabled "$([[ "$SAGEMAKER" == off ]] && echo false || echo true)"
if [[ "$SAGEMAKER" == serverless ]]; then p config set --path iris-mlops:sagemaker.mode serverless; fi
if [[ -n "${SMOKE_PERMISSIONS_BOUNDARY_ARN:-}" ]]; then
  p config set iris-mlops:permissionsBoundaryArn "$SMOKE_PERMISSIONS_BOUNDARY_ARN"
fi

step "deploy"
p up --yes

step "call the API"
API_URL="$(p stack output apiUrl)"
FLOWER='{"sepal_length":5.1,"sepal_width":3.5,"petal_length":1.4,"petal_width":0.2}'
# --retry: a new API's route may take a few seconds to answer
HEALTH="$(run curl -fsS --max-time 10 --retry 5 --retry-all-errors --retry-delay 3 "$API_URL/health")"
expect "GET /health" "$HEALTH" '"status":"ok"'
PREDICTION="$(run curl -fsS --max-time 10 --retry 2 --retry-all-errors \
  -H 'content-type: application/json' -d "$FLOWER" "$API_URL/predict")"
expect "POST /predict" "$PREDICTION" '"species":"setosa"'

if [[ "$SAGEMAKER" != off ]]; then
  step "invoke the SageMaker endpoint"
  ENDPOINT="$(p stack output endpointName)"
  OUT="$(mktemp)"
  run aws sagemaker-runtime invoke-endpoint --region "$REGION" \
    --cli-connect-timeout 10 --cli-read-timeout 70 \
    --endpoint-name "$ENDPOINT" --content-type application/json --accept application/json \
    --cli-binary-format raw-in-base64-out --body "$FLOWER" "$OUT" >&2
  ANSWER="$(cat "$OUT")"
  expect "invoke-endpoint" "$ANSWER" '"species":"setosa"'
fi

step "preview again: nothing may change"
p preview --expect-no-changes
