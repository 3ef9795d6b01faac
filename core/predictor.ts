/**
 * The prediction core every front door shares: built once from a verified artifact, then pure
 * computation per row. Rows reach it already validated (see input.ts).
 */
import { type Artifact, type CompiledModel, loadArtifact, type Manifest } from "./artifact.js";
import { type BatchPredictor, createBatchPredictor } from "./batch.js";
import { createForestVoter } from "./forest.js";
import { nearestClassDistance } from "./novelty.js";

export interface Prediction {
  /** The forest's vote, with the library's tie-break. */
  species: string;
  /** Each class's share of the trees' votes, in class order; they sum to 1. */
  probabilities: Record<string, number>;
  /** Whether the measurements look like an Iris at all (see novelty.ts). */
  is_iris: boolean;
}

export interface Predictor {
  readonly modelVersion: string;
  readonly manifest: Manifest;
  /** What vouched for the model when it was loaded (serving/model-trust.ts), e.g. "pinned sha256". */
  readonly verification?: string;
  /** Class names in label order. */
  readonly classes: readonly string[];
  /** Trees in the forest: a vote share is votes / trees. */
  readonly trees: number;
  /** The verified model it was built from (a worker thread builds its own predictor from it). */
  readonly compiled: CompiledModel;
  predict(row: ArrayLike<number>): Prediction;
  predictBatch(rows: readonly ArrayLike<number>[]): Prediction[];
  /** The label alone, allocation-free: for callers that only need the species index. */
  classify(row: ArrayLike<number>): number;
  /**
   * Full predictions of many rows into typed arrays, nothing allocated per row (batch.ts):
   * the same answers as `predict`, several times faster.
   */
  predictColumns: BatchPredictor;
}

export function createPredictor(
  { manifest, compiled }: Artifact,
  verification?: string,
): Predictor {
  const vote = createForestVoter(compiled.forest);
  const classes = manifest.classes;
  const trees = compiled.forest.roots.length;
  const votes = new Uint16Array(classes.length);
  const novelty = compiled.novelty;
  // made on first use: a Lambda answering one row at a time never needs it
  let batch: BatchPredictor | undefined;

  const predict = (row: ArrayLike<number>): Prediction => {
    const label = vote(row, votes);
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < classes.length; c++)
      probabilities[classes[c] as string] = (votes[c] as number) / trees;
    return {
      species: classes[label] as string,
      probabilities,
      is_iris: nearestClassDistance(novelty, row) <= novelty.threshold,
    };
  };

  return {
    modelVersion: manifest.model_version,
    manifest,
    ...(verification === undefined ? {} : { verification }),
    classes,
    trees,
    compiled,
    predict,
    predictBatch: (rows) => rows.map(predict),
    classify: (row) => vote(row, votes),
    predictColumns: (rows, count, out) => {
      batch ??= createBatchPredictor(compiled);
      batch(rows, count, out);
    },
  };
}

export async function loadPredictor(source: string | Uint8Array): Promise<Predictor> {
  return createPredictor(await loadArtifact(source));
}
