/**
 * A precision policy checked field by field before any network uses it: every refusal names the field, what it
 * expected and what it got ("invalid config precision.updateBits: expected ..., got 9"), for every trainer.
 */
import { ROUNDING_MODES } from "@lowprec/formats";
import {
  FLOAT_FORMATS,
  isFloatFormat,
  isMxFormat,
  MX_MAX_BLOCK,
  MX_PRECISION_FORMATS,
  mxElementWidth,
  MXINT_BITS,
  PRECISION_FORMATS,
  SCALABLE_FORMATS,
  type PrecisionFormat,
  type PrecisionSpec,
} from "./policy.js";

/** The most calibration epochs a dynamic-fixed-point run may ask for (the authors: 2; each one is a full epoch). */
export const MAX_CALIBRATION_EPOCHS = 100;

/** A precision policy that cannot run: the message names the field and the value. */
export class PrecisionSpecError extends RangeError {
  override readonly name = "PrecisionSpecError";
}

function need(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new PrecisionSpecError(`invalid config ${field}: expected ${expected}, got ${JSON.stringify(value)}`);
}

const isInt = (v: unknown, min: number): boolean => typeof v === "number" && Number.isInteger(v) && v >= min;
const isNum = (v: unknown, min: number, max = Infinity): boolean =>
  typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
const isMargin = (v: unknown): boolean => isInt(v, -64) && (v as number) <= 64;

/** The float formats beyond the paper, whose widths must be stated truthfully in propagationBits / updateBits. */
export const BEYOND_PAPER_FLOATS: readonly PrecisionFormat[] = ["bfloat16", "fp8e4m3", "fp8e5m2"];

/** Width in bits of a float format of a policy (32 for float32). */
function floatWidth(f: PrecisionFormat): number {
  const ff = isFloatFormat(f) ? FLOAT_FORMATS[f] : undefined;
  return ff ? 1 + ff.exponent + ff.mantissa : 32;
}

/** Checks one policy (or one override merged into it, named by `where`), throwing PrecisionSpecError. */
export function validatePrecisionSpec(p: PrecisionSpec, where: string): void {
  need(
    PRECISION_FORMATS.includes(p.format),
    `${where}.format`,
    p.format,
    PRECISION_FORMATS.map((f) => JSON.stringify(f)).join(", "),
  );
  need(
    (ROUNDING_MODES as readonly string[]).includes(p.rounding),
    `${where}.rounding`,
    p.rounding,
    ROUNDING_MODES.join(" | "),
  );
  if (p.format === "fixed" || p.format === "dynamic-fixed") {
    need(
      isInt(p.propagationBits, 2) && p.propagationBits <= 32,
      `${where}.propagationBits`,
      p.propagationBits,
      "an integer in [2, 32] (sign included)",
    );
    need(
      isInt(p.updateBits, 2) && p.updateBits <= 32,
      `${where}.updateBits`,
      p.updateBits,
      "an integer in [2, 32] (sign included)",
    );
    need(
      Number.isInteger(p.integerBits) && Math.abs(p.integerBits) <= 64,
      `${where}.integerBits`,
      p.integerBits,
      "an integer in [-64, 64]",
    );
    if (p.format === "fixed")
      need(
        p.integerBits < Math.min(p.propagationBits, p.updateBits),
        `${where}.integerBits`,
        p.integerBits,
        "fewer integer bits than the widths minus the sign",
      );
  }
  const isFloat = isFloatFormat(p.format) && p.format !== "float32";
  const isMx = isMxFormat(p.format);
  if (isMx) {
    const s = p.scaling as { kind: string; block?: unknown };
    need(
      s.kind === "block-scaled",
      `${where}.scaling.kind`,
      s.kind,
      `"block-scaled" with format "${p.format}" (an MX format takes one scale per block)`,
    );
    need(
      isInt(s.block, 1) && (s.block as number) <= MX_MAX_BLOCK,
      `${where}.scaling.block`,
      s.block,
      `an integer in [1, ${MX_MAX_BLOCK}] (values per shared scale; OCP MX: 32)`,
    );
    const width = mxElementWidth(p.format as (typeof MX_PRECISION_FORMATS)[number]);
    if (width === undefined)
      need(
        isInt(p.propagationBits, MXINT_BITS.min) && p.propagationBits <= MXINT_BITS.max,
        `${where}.propagationBits`,
        p.propagationBits,
        `an integer in [${MXINT_BITS.min}, ${MXINT_BITS.max}] (mxint's element width, sign included; MXINT8: 8)`,
      );
    else
      need(
        p.propagationBits === width,
        `${where}.propagationBits`,
        p.propagationBits,
        `${width} (the element width of ${p.format})`,
      );
    need(p.integerBits === 0, `${where}.integerBits`, p.integerBits, "0 (an MX block's scale comes from its maximum)");
    need(
      p.updateBits === floatWidth(p.updateFormat ?? "float32"),
      `${where}.updateBits`,
      p.updateBits,
      `${floatWidth(p.updateFormat ?? "float32")} (the width of ${p.updateFormat ?? "float32"}, the stored parameters)`,
    );
  } else if (p.scaling.kind === "block-scaled")
    need(
      p.format === "float32",
      `${where}.scaling.kind`,
      p.scaling.kind,
      `not "block-scaled" with format "${p.format}"` +
        ` (block scaling is for the MX formats ${MX_PRECISION_FORMATS.join(", ")})`,
    );
  if (p.groupScale !== undefined) {
    need(typeof p.groupScale === "boolean", `${where}.groupScale`, p.groupScale, "true or false");
    need(
      !p.groupScale || SCALABLE_FORMATS.includes(p.format),
      `${where}.groupScale`,
      p.groupScale,
      `false with format "${p.format}" (a per-group scale is for ${SCALABLE_FORMATS.join(", ")}` +
        "; bfloat16 has float32's range)",
    );
  }
  if (p.updateFormat !== undefined) {
    need(
      isFloat || isMx,
      `${where}.updateFormat`,
      p.updateFormat,
      `no updateFormat with format "${p.format}" (fixed point sets updateBits; float32 does not round)`,
    );
    need(
      isFloatFormat(p.updateFormat),
      `${where}.updateFormat`,
      p.updateFormat,
      Object.keys(FLOAT_FORMATS)
        .map((f) => JSON.stringify(f))
        .join(", "),
    );
    const f = FLOAT_FORMATS[p.format as keyof typeof FLOAT_FORMATS],
      u = FLOAT_FORMATS[p.updateFormat];
    need(
      !f || !u || (u.exponent >= f.exponent && u.mantissa >= f.mantissa),
      `${where}.updateFormat`,
      p.updateFormat,
      `a format with at least the ${f?.exponent} exponent and ${f?.mantissa} mantissa bits of ${p.format}`,
    );
  }
  if (p.floatOverflow !== undefined) {
    need(
      isFloat,
      `${where}.floatOverflow`,
      p.floatOverflow,
      `no floatOverflow with format "${p.format}" (fixed point always saturates; float32 does not round)`,
    );
    need(
      p.floatOverflow === "saturate" || (p.floatOverflow === "infinity" && p.format !== "fp8e4m3"),
      `${where}.floatOverflow`,
      p.floatOverflow,
      p.format === "fp8e4m3" ? `"saturate" (E4M3 has no infinities)` : `"saturate" or "infinity"`,
    );
  }
  if (BEYOND_PAPER_FLOATS.includes(p.format)) {
    const prop = floatWidth(p.format),
      upd = floatWidth(p.updateFormat ?? p.format);
    need(
      p.propagationBits === prop,
      `${where}.propagationBits`,
      p.propagationBits,
      `${prop} (the width of ${p.format})`,
    );
    need(
      p.updateBits === upd,
      `${where}.updateBits`,
      p.updateBits,
      `${upd} (the width of ${p.updateFormat ?? p.format}, the update format)`,
    );
  }
  const scaledFloat = p.groupScale === true && SCALABLE_FORMATS.includes(p.format);
  if (scaledFloat)
    need(
      Number.isInteger(p.integerBits) && Math.abs(p.integerBits) <= 64,
      `${where}.integerBits`,
      p.integerBits,
      "an integer in [-64, 64]",
    );
  if (p.format === "dynamic-fixed" || scaledFloat) {
    const s = p.scaling;
    if (s.kind === "overflow-rate") {
      need(isNum(s.maxRate, 0, 1), `${where}.scaling.maxRate`, s.maxRate, "a number in [0, 1]");
      need(
        (s.everyExamples === undefined) !== (s.everyBatches === undefined),
        `${where}.scaling`,
        s,
        "exactly one of everyExamples and everyBatches (the window)",
      );
      if (s.everyExamples !== undefined)
        need(isInt(s.everyExamples, 1), `${where}.scaling.everyExamples`, s.everyExamples, "an integer ≥ 1");
      if (s.everyBatches !== undefined)
        need(isInt(s.everyBatches, 1), `${where}.scaling.everyBatches`, s.everyBatches, "an integer ≥ 1");
    } else if (s.kind === "delayed-amax") {
      need(isInt(s.history, 1), `${where}.scaling.history`, s.history, "an integer ≥ 1");
      need(Number.isInteger(s.margin), `${where}.scaling.margin`, s.margin, "an integer");
    } else if (s.kind === "current-amax") {
      need(isMargin(s.margin), `${where}.scaling.margin`, s.margin, "an integer in [-64, 64]");
    } else if (s.kind === "predictive") {
      need(isInt(s.history, 2), `${where}.scaling.history`, s.history, "an integer ≥ 2");
      need(isNum(s.deviations, 0), `${where}.scaling.deviations`, s.deviations, "a finite number ≥ 0");
      need(isMargin(s.margin), `${where}.scaling.margin`, s.margin, "an integer in [-64, 64]");
    } else
      need(
        false,
        `${where}.scaling.kind`,
        (s as { kind: unknown }).kind,
        `"overflow-rate", "delayed-amax", "current-amax" or "predictive"`,
      );
  }
  if (p.format === "dynamic-fixed") {
    need(
      isInt(p.calibrationEpochs, 0) && p.calibrationEpochs <= MAX_CALIBRATION_EPOCHS,
      `${where}.calibrationEpochs`,
      p.calibrationEpochs,
      `an integer in [0, ${MAX_CALIBRATION_EPOCHS}]`,
    );
    need(
      isInt(p.calibrationBits, 2) && p.calibrationBits <= 32,
      `${where}.calibrationBits`,
      p.calibrationBits,
      "an integer in [2, 32]",
    );
  }
}
