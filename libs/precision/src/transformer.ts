/**
 * BEYOND THE PAPER: where a Transformer's attention rounds (METHOD.md §9). The paper's rule, the operands of every
 * multiplication and every gradient rounded at the propagation width, applied to the products that attention adds
 * between two activations. The projections Q, K, V and the output projection are linear layers of the paper's
 * table (their ẑ are q̂, k̂, v̂); LayerNorm's γ and β, the MLP and the classifier are too (METHOD.md §9 gives the
 * mapping). What is left is the attention core of one block, per head h (scores scaled by 1/√d_h):
 *
 *   forward   ŝ = Q_p(q̂·k̂ᵀ/√d_h; scores)                scores
 *             p̂ = Q_p(softmax(ŝ); probs)                  probs        (exponent sums in float64, not rounded)
 *             ĉ = Q_p(p̂·v̂; context)                       context
 *   backward  ĝ_c = Q_p(∂E/∂c; dEdcontext)                 contextGradient
 *             ĝ_p = Q_p(ĝ_c·v̂ᵀ; dEdprobs)                  probsGradient
 *             ĝ_s = Q_p(p̂ ⊙ (ĝ_p − Σ ĝ_p ⊙ p̂); dEdscores)  scoresGradient
 *             ∂E/∂q = ĝ_s·k̂/√d_h, ∂E/∂k = ĝ_sᵀ·q̂/√d_h, ∂E/∂v = p̂ᵀ·ĝ_c: not rounded here, they are the
 *             projections' ∂E/∂z (rounded there, at weightedSumGradient)
 *   test      the three forward points again, not observed
 *
 * Every operand of the four products (q̂, k̂, v̂, ŝ's softmax p̂, ĝ_c, ĝ_s) is thus on its group's grid. No parameter
 * lives here: the core has no stored values and no update.
 */
import {
  GROUPS,
  type GroupName,
  MX_OPERANDS,
  type MxOperand,
  type MxOperandName,
  type PolicyTable,
  ROUNDING_POINTS,
  type RoundingPoint,
} from "./policy.js";

const R = ROUNDING_POINTS;

/**
 * A Transformer's linear layers (patch embedding, Q/K/V and output projections, the MLP, the classifier) and its
 * LayerNorms and position table: the paper's layer without dropout, max-norm or convolution. Its stored weights
 * are observed where they are stored (storedWeights: the paper's layer observes them after max-norm, which these
 * layers do not have). A LayerNorm maps onto it as γ = w, β = b, its output ŷ = y (METHOD.md §9); a position table
 * as w.
 */
export const LINEAR_POINTS = {
  weightsForMultiply: R.weightsForMultiply,
  biasesForMultiply: R.biasesForMultiply,
  weightedSum: R.weightedSum,
  output: R.output,
  outputGradient: R.outputGradient,
  weightedSumGradient: R.weightedSumGradient,
  weightGradient: R.weightGradient,
  biasGradient: R.biasGradient,
  weightVelocity: R.weightVelocity,
  biasVelocity: R.biasVelocity,
  storedWeights: { ...R.storedWeights, observe: true },
  storedBiases: R.storedBiases,
  testWeights: R.testWeights,
  testBiases: R.testBiases,
  testWeightedSum: R.testWeightedSum,
  testOutput: R.testOutput,
} as const satisfies Record<string, RoundingPoint>;
export type LinearPoint = keyof typeof LINEAR_POINTS;

/** The table of a Transformer's linear layers, LayerNorms and position table. */
export const TRANSFORMER_LINEAR: PolicyTable<GroupName, LinearPoint, MxOperandName> = Object.freeze({
  name: "a Transformer's linear layer (METHOD.md §9)",
  groups: GROUPS,
  points: LINEAR_POINTS,
  // NOTE: the three products of a linear layer are the paper's dense layer's: x̃·Ŵ, ĝ_z·Ŵᵀ, x̃ᵀ·ĝ_z
  mxOperands: MX_OPERANDS,
  parameterGroups: ["w", "b"] as const,
  copyPoints: ["weightsForMultiply", "biasesForMultiply"] as const,
});

/** The six groups of an attention core: three forward tensors and their gradients. */
export const ATTENTION_GROUPS = ["scores", "probs", "context", "dEdcontext", "dEdprobs", "dEdscores"] as const;
export type AttentionGroup = (typeof ATTENTION_GROUPS)[number];

/** The rounding points of an attention core, in the order of a training step. */
export const ATTENTION_POINTS = {
  scores: { step: "forward", group: "scores", width: "propagation", observe: true, what: "ŝ = Q_p(q̂·k̂ᵀ/√d_h)" },
  probs: { step: "forward", group: "probs", width: "propagation", observe: true, what: "p̂ = Q_p(softmax(ŝ))" },
  context: { step: "forward", group: "context", width: "propagation", observe: true, what: "ĉ = Q_p(p̂·v̂)" },
  contextGradient: {
    step: "backward",
    group: "dEdcontext",
    width: "propagation",
    observe: true,
    what: "ĝ_c = Q_p(∂E/∂c)",
  },
  probsGradient: {
    step: "backward",
    group: "dEdprobs",
    width: "propagation",
    observe: true,
    what: "ĝ_p = Q_p(ĝ_c·v̂ᵀ)",
  },
  scoresGradient: {
    step: "backward",
    group: "dEdscores",
    width: "propagation",
    observe: true,
    what: "ĝ_s = Q_p(p̂ ⊙ (ĝ_p − Σ ĝ_p ⊙ p̂))",
  },
  testScores: { step: "test", group: "scores", width: "propagation", observe: false, what: "ŝ = Q_p(q̂·k̂ᵀ/√d_h)" },
  testProbs: { step: "test", group: "probs", width: "propagation", observe: false, what: "p̂ = Q_p(softmax(ŝ))" },
  testContext: { step: "test", group: "context", width: "propagation", observe: false, what: "ĉ = Q_p(p̂·v̂)" },
} as const satisfies Record<string, RoundingPoint<AttentionGroup>>;
export type AttentionPoint = keyof typeof ATTENTION_POINTS;

/**
 * The operands of the attention core's six products under a block-scaled (MX) setting, each in blocks along the
 * axis its product sums (per head: q̂, k̂, v̂ and ĝ_c are tokens × d_h, p̂ and ĝ_s tokens × tokens): the head width
 * for q̂·k̂ᵀ and ĝ_c·v̂ᵀ, the key tokens for p̂·v̂ and ĝ_s·k̂, the query tokens for ĝ_sᵀ·q̂ and p̂ᵀ·ĝ_c. An operand
 * belongs to the group of the tensor it is (q̂ and k̂ to scores, whose product they make; p̂ to probs; v̂ to
 * context; the gradients to theirs); each group is observed on one operand of its forward or backward products.
 */
export const ATTENTION_MX_OPERANDS = {
  scoresQuery: { step: "forward", group: "scores", observe: true, what: "MX(q̂) for q̂·k̂ᵀ, along d_h" },
  scoresKey: { step: "forward", group: "scores", observe: false, what: "MX(k̂) for q̂·k̂ᵀ, along d_h" },
  contextProbs: { step: "forward", group: "probs", observe: true, what: "MX(p̂) for p̂·v̂, along the key tokens" },
  contextValues: { step: "forward", group: "context", observe: true, what: "MX(v̂) for p̂·v̂, along the tokens" },
  probsGradientContext: {
    step: "backward",
    group: "dEdcontext",
    observe: true,
    what: "MX(ĝ_c) for ĝ_c·v̂ᵀ, along d_h",
  },
  probsGradientValues: { step: "backward", group: "context", observe: false, what: "MX(v̂) for ĝ_c·v̂ᵀ, along d_h" },
  queryGradientScores: {
    step: "backward",
    group: "dEdscores",
    observe: true,
    what: "MX(ĝ_s) for ĝ_s·k̂, along the key tokens",
  },
  queryGradientKeys: { step: "backward", group: "scores", observe: false, what: "MX(k̂) for ĝ_s·k̂, along the tokens" },
  keyGradientScores: {
    step: "backward",
    group: "dEdscores",
    observe: false,
    what: "MX(ĝ_s) for ĝ_sᵀ·q̂, along the query tokens",
  },
  keyGradientQueries: {
    step: "backward",
    group: "scores",
    observe: false,
    what: "MX(q̂) for ĝ_sᵀ·q̂, along the tokens",
  },
  valueGradientProbs: {
    step: "backward",
    group: "probs",
    observe: false,
    what: "MX(p̂) for p̂ᵀ·ĝ_c, along the query tokens",
  },
  valueGradientContext: {
    step: "backward",
    group: "dEdcontext",
    observe: false,
    what: "MX(ĝ_c) for p̂ᵀ·ĝ_c, along the tokens",
  },
  testScoresQuery: { step: "test", group: "scores", observe: false, what: "MX(q̂) for q̂·k̂ᵀ" },
  testScoresKey: { step: "test", group: "scores", observe: false, what: "MX(k̂) for q̂·k̂ᵀ" },
  testContextProbs: { step: "test", group: "probs", observe: false, what: "MX(p̂) for p̂·v̂" },
  testContextValues: { step: "test", group: "context", observe: false, what: "MX(v̂) for p̂·v̂" },
} as const satisfies Record<string, MxOperand<AttentionGroup>>;
export type AttentionMxOperand = keyof typeof ATTENTION_MX_OPERANDS;

/** The attention core's table for `LayerPrecision`. */
export const ATTENTION_CORE: PolicyTable<AttentionGroup, AttentionPoint, AttentionMxOperand> = Object.freeze({
  name: "attention core (METHOD.md §9)",
  groups: ATTENTION_GROUPS,
  points: ATTENTION_POINTS,
  mxOperands: ATTENTION_MX_OPERANDS,
  parameterGroups: [],
  copyPoints: [],
});
