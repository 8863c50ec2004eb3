/**
 * Offline datasets: the multi-agent dataset type, OMAR's on-disk layout (`.npy` files plus the kit's
 * `manifest.json`), and minibatch sampling.
 *
 * @module
 */
export {
  type ActionRange,
  actionsOutside,
  type AgentData,
  agentReward,
  type DatasetMeta,
  episodeReturns,
  episodeStarts,
  meanOverAgents,
  type MultiAgentDataset,
  type RewardAggregate,
  validateDataset,
} from "./dataset.ts";
export {
  datasetDir,
  datasetTaskName,
  type DatasetTaskShape,
  envIdForTask,
  MANIFEST_FORMAT,
  MANIFEST_NAME,
  type OmarManifest,
  readOmarDataset,
  type ReadOmarOptions,
  TASK_TO_ENV_ID,
  taskForEnvId,
  writeOmarDataset,
} from "./omar_layout.ts";
export { allocBatch, type Batch, gatherBatch, type IndexSource, sampleIndices } from "./sampler.ts";
export {
  type NpyArray,
  type NpyData,
  type NpyDtype,
  npyDtypeName,
  readNpy,
  readNpyFile,
  writeNpy,
  writeNpyFile,
} from "../util/npy.ts";
