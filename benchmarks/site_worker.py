"""An RQ worker for one site's queues: what `bench worker --queue ...` starts, with the queue names
taken from that site's own config.

Frappe names its queues `<bench_id>:<queue>` and `bench worker` reads the bench_id of the whole
bench. On a bench shared by several people, a site can be given its own `bench_id`
(`bench --site SITE set-config bench_id SOMETHING`): its jobs then go to queues of their own, and
this worker serves exactly those, so nobody's worker runs another site's jobs with other code.
Without a site bench_id the names are the bench's and this is the ordinary worker.

    ../env/bin/python /path/to/benchmarks/site_worker.py SITE short[,default,long]
"""

import sys

import frappe
from frappe.utils.background_jobs import _freeze_gc, get_queue_list, get_redis_conn, set_niceness
from rq import Worker


def main(site: str, queues: str):
	frappe.init(site=site)
	names = get_queue_list(queues.split(","), build_queue_name=True)
	connection = get_redis_conn()
	set_niceness()  # as bench worker: a little below web processes
	frappe.destroy()
	_freeze_gc()
	Worker(names, connection=connection).work(
		logging_level="INFO",
		date_format="%Y-%m-%d %H:%M:%S",
		log_format="%(asctime)s,%(msecs)03d %(message)s",
	)


if __name__ == "__main__":
	main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "short")
