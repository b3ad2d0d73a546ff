/** The checkpoint container lives in @lowprec/storage (shared with @lowprec/transformer); re-exported here. */
export { CHECKPOINT_MAGIC, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "@lowprec/storage";
