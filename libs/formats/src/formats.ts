/**
 * Format constructors, their validation, the presets, and the numbers every format derives from its
 * description (largest value, smallest normal, grid step). Formats are frozen plain objects.
 */
import { pow2 } from "./pow2.js";
import type {
  DynamicFixedFormat,
  FixedFormat,
  FloatFormat,
  Format,
  IdentityFormat,
  OverflowMode,
  SpecialValues,
} from "./types.js";

/** Dynamic fixed point groups may move their radix point this far in either direction. */
export const INTEGER_BITS_LIMIT = 64;

export function checkInteger(what: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)
    throw new RangeError(`invalid ${what}: expected an integer in [${min}, ${max}], got ${String(value)}`);
  return value;
}

export interface FloatOptions {
  /** exponent bits w, 2..8 */
  exponent: number;
  /** trailing significand bits t, 0..23 */
  mantissa: number;
  /** default 2^(w−1) − 1 */
  bias?: number;
  /** default true */
  subnormals?: boolean;
  /** default "infinity" for `ieee` specials, "saturate" for `fn` and `finite` (which can only saturate) */
  overflow?: OverflowMode;
  /** default "ieee" */
  specials?: SpecialValues;
  /** default `e<w>m<t>` */
  name?: string;
}

/**
 * A floating-point format of 1 + exponent + mantissa bits, at most binary32 (its grid must fit float32).
 * @example float({ exponent: 5, mantissa: 10 }) // IEEE binary16
 * @example float({ exponent: 4, mantissa: 3, specials: "fn" }) // OCP FP8 E4M3, max 448
 * @example float({ exponent: 2, mantissa: 1, specials: "finite" }) // OCP MX FP4 E2M1, max 6
 */
export function float(o: FloatOptions): FloatFormat {
  const exponent = checkInteger("float exponent bits", o.exponent, 2, 8);
  const mantissa = checkInteger("float mantissa bits", o.mantissa, 0, 23);
  const specials = o.specials ?? "ieee";
  if (specials !== "ieee" && specials !== "fn" && specials !== "finite")
    throw new RangeError(`invalid float specials: expected "ieee", "fn" or "finite", got ${String(specials)}`);
  if (specials === "fn" && mantissa < 1)
    throw new RangeError(
      `invalid float mantissa bits: an "fn" format needs at least 1` +
        ` (its NaN is the all-ones mantissa), got ${mantissa}`,
    );
  const bias = o.bias ?? (1 << (exponent - 1)) - 1;
  checkInteger("float bias", bias, -1000, 1000);
  const overflow = o.overflow ?? (specials === "ieee" ? "infinity" : "saturate");
  if (overflow !== "saturate" && overflow !== "infinity")
    throw new RangeError(`invalid float overflow: expected "saturate" or "infinity", got ${String(overflow)}`);
  if (specials === "finite" && overflow !== "saturate")
    throw new RangeError(
      `invalid float overflow: a "finite" format has no infinity and no NaN to overflow to` +
        ` (expected "saturate"), got ${overflow}`,
    );
  const subnormals = o.subnormals ?? true;
  if (typeof subnormals !== "boolean")
    throw new RangeError(`invalid float subnormals: expected a boolean, got ${String(subnormals)}`);
  const f: FloatFormat = Object.freeze({
    kind: "float",
    name: o.name ?? `e${exponent}m${mantissa}`,
    exponent,
    mantissa,
    bias,
    subnormals,
    overflow,
    specials,
  });
  const { emin, emax } = floatExponentRange(f);
  // NOTE: the grid must be exactly representable in float32 storage.
  if (emin - mantissa < -149 || emax > 127)
    throw new RangeError(
      `invalid float bias ${bias} for ${exponent} exponent bits` +
        `: the range 2^${emin - mantissa}..2^${emax} does not fit float32 (2^-149..2^127)`,
    );
  return f;
}

/**
 * Fixed point as in the paper: `bits` INCLUDES the sign bit, `integerBits` excludes it.
 * The authors' code names these NOB = bits − 1 and NOIB = integerBits (its "FXP 5 19 19" is
 * `fixed({ bits: 20, integerBits: 5 })`).
 * @example fixed({ bits: 20, integerBits: 5 }) // the paper's fixed point: step 2^-14, max 32 − 2^-14
 */
export function fixed(o: { bits: number; integerBits: number; name?: string }): FixedFormat {
  const bits = checkInteger("fixed bits (sign included)", o.bits, 2, 32);
  if (typeof o.integerBits === "number" && Number.isInteger(o.integerBits) && o.integerBits > bits - 1)
    throw new RangeError(
      `invalid fixed integerBits: ${o.integerBits} integer bits do not fit in ${bits} bits` +
        ` (at most ${bits - 1}: one bit is the sign)`,
    );
  const integerBits = checkInteger("fixed integerBits", o.integerBits, -INTEGER_BITS_LIMIT, bits - 1);
  return Object.freeze({ kind: "fixed", name: o.name ?? `fixed${bits}.${integerBits}`, bits, integerBits });
}

/**
 * Dynamic fixed point of `bits` (sign included); each group's integerBits comes from its scaling policy.
 * @example dynamicFixed({ bits: 10 }) // the paper's propagation width
 */
export function dynamicFixed(o: { bits: number; name?: string }): DynamicFixedFormat {
  const bits = checkInteger("dynamic fixed bits (sign included)", o.bits, 2, 32);
  return Object.freeze({ kind: "dynamic-fixed", name: o.name ?? `dfxp${bits}`, bits });
}

/** float32 storage, no rounding: the paper's single-precision baseline ("FLP"). */
export const identity: IdentityFormat = Object.freeze({ kind: "identity", name: "float32" });
/** IEEE 754 binary32 as a float format (rounds float64 input once to float32). */
export const binary32 = float({ exponent: 8, mantissa: 23, name: "binary32" });
/** IEEE 754 binary16, the paper's half precision (overflow to ±Infinity as CUDA's __float2half_rn). */
export const binary16 = float({ exponent: 5, mantissa: 10, name: "binary16" });
/** bfloat16: binary32's exponent with 7 mantissa bits. */
export const bfloat16 = float({ exponent: 8, mantissa: 7, name: "bfloat16" });
/** OCP FP8 E4M3 (ml_dtypes float8_e4m3fn): no infinities, max 448, saturating. */
export const fp8e4m3 = float({ exponent: 4, mantissa: 3, specials: "fn", overflow: "saturate", name: "fp8e4m3" });
/** OCP FP8 E5M2: IEEE-like, max 57344, overflow to ±Infinity. */
export const fp8e5m2 = float({ exponent: 5, mantissa: 2, name: "fp8e5m2" });

/** The presets by name. */
export const PRESETS: Readonly<Record<string, Format>> = Object.freeze({
  float32: identity,
  binary32,
  binary16,
  bfloat16,
  fp8e4m3,
  fp8e5m2,
});

/** emin = 1 − bias; emax = largest exponent of a finite value (the all-ones field is finite unless `ieee`). */
export function floatExponentRange(f: FloatFormat): { emin: number; emax: number } {
  const top = f.specials === "ieee" ? 2 ** f.exponent - 2 : 2 ** f.exponent - 1;
  // NOTE: | 0 keeps these small integers (Smis) for V8, so the hot loops index tables without deopts.
  return { emin: (1 - f.bias) | 0, emax: (top - f.bias) | 0 };
}

/** Largest finite magnitude of a float format. */
export function floatMax(f: FloatFormat): number {
  const { emax } = floatExponentRange(f);
  // NOTE: an fn format reserves its all-ones mantissa in the top binade for NaN (a finite format reserves nothing).
  const top = f.specials === "fn" ? 2 - pow2(1 - f.mantissa) : 2 - pow2(-f.mantissa);
  return top * pow2(emax);
}

/** Largest magnitude of float32 (the identity format's "max"). */
export const FLOAT32_MAX = (2 - pow2(-23)) * pow2(127);

/** Checks a dynamic group's integerBits (or a fixed format's) and returns the fractional bits f. */
export function fractionBits(bits: number, integerBits: number | undefined, what: string): number {
  if (integerBits === undefined) throw new RangeError(`${what}: dynamic fixed point needs the group's integerBits`);
  checkInteger(`${what} integerBits`, integerBits, -INTEGER_BITS_LIMIT, INTEGER_BITS_LIMIT);
  return bits - 1 - integerBits;
}

/** Total width in bits, sign included (32 for the identity format). */
export function totalBits(f: Format): number {
  switch (f.kind) {
    case "float":
      return 1 + f.exponent + f.mantissa;
    case "fixed":
    case "dynamic-fixed":
      return f.bits;
    case "identity":
      return 32;
  }
}

/** Throws a RangeError naming the value unless `f` is a format made by this library's constructors. */
export function checkFormat(f: unknown): Format {
  const k = (f as { kind?: unknown } | null)?.kind;
  if (k !== "float" && k !== "fixed" && k !== "dynamic-fixed" && k !== "identity")
    throw new RangeError(
      `invalid format: expected an object made by float(), fixed(), dynamicFixed() or a preset` +
        `, got ${JSON.stringify(f)}`,
    );
  return f as Format;
}
