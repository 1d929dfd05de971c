#!/bin/sh
# Submit an Arabic article to tarjama with nothing but redis-cli and print its English summary.
#
#   examples/submit-with-redis-cli.sh [article.txt]
#
# A `tarjama intake` and a `tarjama worker` must be running against the same Redis.
# Environment: TARJAMA_REDIS_URL (redis://127.0.0.1:6379/0), TARJAMA_INTAKE_STREAM
# (tarjama:intake), TARJAMA_RESULTS_STREAM (tarjama:results), REDIS_CLI (redis-cli),
# TIMEOUT in seconds (900). Exit status: 0 summary printed, 1 the job failed, 2 timed out.
set -eu

article=${1:-$(dirname "$0")/article-ar.txt}
intake=${TARJAMA_INTAKE_STREAM:-tarjama:intake}
results=${TARJAMA_RESULTS_STREAM:-tarjama:results}
deadline=$(($(date +%s) + ${TIMEOUT:-900}))
job_id="cli-$(date +%s)-$$" # ours to choose; without it the intake derives one from the content

cli() { "${REDIS_CLI:-redis-cli}" -u "${TARJAMA_REDIS_URL:-redis://127.0.0.1:6379/0}" --raw "$@"; }

# The id of the newest event on the results stream ("0-0" when there is none).
newest_event() {
	newest=$(cli XREVRANGE "$results" + - COUNT 1 | head -n 1)
	echo "${newest:-0-0}"
}

# XADD the job. Redis's own Lua (cjson) turns the text into JSON: no jq needed.
ADD_ARTICLE='return redis.call("XADD", KEYS[1], "*",
  "article", cjson.encode({text = ARGV[1], id = ARGV[2]}), "job_id", ARGV[3])'

# The job's state, then its summary (or its [code, message]), from the stored JSON.
READ_RESULT='local raw = redis.call("GET", KEYS[1])
if not raw then return {"PENDING"} end
local stored = cjson.decode(raw)
if stored.status == "SUCCESS" then return {"SUCCESS", stored.result.summary.text} end
if stored.status == "FAILURE" then return {"FAILURE", cjson.encode(stored.result.exc_message)} end
return {stored.status}'

since=$(newest_event) # taken before the XADD, so no event of ours can come before it
entry=$(cli EVAL "$ADD_ARTICLE" 1 "$intake" "$(cat "$article")" "$(basename "$article")" "$job_id")
echo "submitted $article: intake entry $entry, job $job_id" >&2

while :; do
	reply=$(cli EVAL "$READ_RESULT" 1 "celery-task-meta-$job_id")
	state=$(printf '%s\n' "$reply" | head -n 1)
	case $state in
	SUCCESS)
		printf '%s\n' "$reply" | tail -n +2
		exit 0
		;;
	FAILURE)
		echo "job $job_id failed: $(printf '%s\n' "$reply" | tail -n +2)" >&2
		exit 1
		;;
	esac
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "job $job_id not done in time (state $state)" >&2
		exit 2
	fi
	# Sleep until some job ends (an event after $since), note the newest event, look again.
	cli XREAD COUNT 1 BLOCK 10000 STREAMS "$results" "$since" >/dev/null
	since=$(newest_event)
done
