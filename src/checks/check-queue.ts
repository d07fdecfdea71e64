import type { CheckQueue } from '../versions/index.js'
import { deleteJobOfVersion, enqueueCheck } from './check-jobs.repository.js'

/**
 * The check_jobs table as versions' transitions use it. Workers hear of a new job through the
 * change it commits with (version.submitted, version.recheck_requested), not from the queue.
 */
export const checkJobsQueue: CheckQueue = {
  enqueue: enqueueCheck,
  drop: deleteJobOfVersion
}
