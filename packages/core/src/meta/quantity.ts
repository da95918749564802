/**
 * Resource quantities (`k8s.io/apimachinery/pkg/api/resource`): `250m` CPU, `256Mi` memory, `1e3`.
 *
 * A quantity is a number with an optional suffix, in Kubernetes' grammar:
 *
 * ```
 * <quantity>  ::= <sign>? <number> <suffix>?
 * <number>    ::= <digits> | <digits>.<digits>? | .<digits>
 * <suffix>    ::= Ki | Mi | Gi | Ti | Pi | Ei            (binary, powers of 1024)
 *               | n | u | m | k | M | G | T | P | E   (decimal SI)
 *               | e<sign>?<digits> | E<sign>?<digits>  (decimal exponent)
 * ```
 *
 * In manifests a quantity may also be a plain YAML number (`cpu: 2`, `cpu: 0.5`). {@link parseQuantity}
 * turns either form into a number of base units (cores, bytes), and {@link formatQuantity} writes a
 * number back in canonical form.
 *
 * @example
 * ```ts
 * parseQuantity('250m');  // 0.25
 * parseQuantity('1Gi');   // 1073741824
 * formatQuantity(0.25);   // "250m"
 * formatQuantity(1073741824, 'BinarySI'); // "1Gi"
 * ```
 *
 * @module
 */
import { z } from 'zod';

/** A quantity as it appears in an object: a string in Kubernetes' quantity grammar, or a number. */
export type Quantity = string | number;

/** The regular expression a quantity string must match. */
export const quantityPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

const quantityMessage =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const binarySuffixes: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** Decimal SI suffixes by their power of ten. */
const decimalExponents: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const decimalSuffixByExponent = new Map<number, string>(Object.entries(decimalExponents).map(([s, e]) => [e, s]));

/** Whether `q` is a valid quantity: a finite number, or a string in Kubernetes' quantity grammar. */
export function isQuantity(q: unknown): q is Quantity {
  if (typeof q === 'number') return Number.isFinite(q);
  return typeof q === 'string' && quantityPattern.test(q);
}

/** `value × 10^exponent`, dividing for negative exponents so that `250m` is exactly `0.25`. */
function scaleByPowerOfTen(value: number, exponent: number): number {
  return exponent >= 0 ? value * 10 ** exponent : value / 10 ** -exponent;
}

/**
 * The value of a quantity in base units: cores for CPU, bytes for memory and storage.
 *
 * @example
 * ```ts
 * parseQuantity('250m'); // 0.25
 * parseQuantity('1.5Gi'); // 1610612736
 * parseQuantity('1e3');  // 1000
 * parseQuantity(2);      // 2
 * ```
 * @throws `RangeError` if `q` is not a valid quantity.
 */
export function parseQuantity(q: Quantity): number {
  if (typeof q === 'number') {
    if (!Number.isFinite(q)) throw new RangeError(`${quantityMessage}: ${String(q)}`);
    return q;
  }
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(.*)$/.exec(q);
  if (!match || !quantityPattern.test(q)) throw new RangeError(`${quantityMessage}: "${q}"`);
  const mantissa = Number(match[1]);
  const suffix = match[2] ?? '';
  const binary = binarySuffixes[suffix];
  if (binary !== undefined) return mantissa * binary;
  const decimal = decimalExponents[suffix];
  if (decimal !== undefined) return scaleByPowerOfTen(mantissa, decimal);
  // A decimal exponent: e3, E-2, e+6.
  return scaleByPowerOfTen(mantissa, Number(suffix.slice(1)));
}

/** The format {@link formatQuantity} writes: decimal SI suffixes (`250m`, `2k`) or binary ones (`1Gi`). */
export type QuantityFormat = 'DecimalSI' | 'BinarySI';

/**
 * A number of base units in canonical quantity form, as Kubernetes writes it: the largest suffix
 * that keeps the mantissa an integer. Values below one nano-unit round up to `1n`, like Kubernetes.
 * `BinarySI` uses `Ki`…`Ei` for whole multiples of 1024 and falls back to decimal SI for fractions.
 *
 * @example
 * ```ts
 * formatQuantity(0.25);                     // "250m"
 * formatQuantity(1500);                     // "1500"
 * formatQuantity(2000);                     // "2k"
 * formatQuantity(268435456, 'BinarySI');    // "256Mi"
 * ```
 * @param format - `DecimalSI` (the default, as for CPU) or `BinarySI` (as for memory).
 */
export function formatQuantity(value: number, format: QuantityFormat = 'DecimalSI'): string {
  if (!Number.isFinite(value)) throw new RangeError(`cannot format ${String(value)} as a quantity`);
  if (value === 0) return '0';
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (format === 'BinarySI' && Number.isSafeInteger(abs) && abs >= 1024) {
    let mantissa = abs;
    let power = 0;
    while (mantissa % 1024 === 0 && power < 6) {
      mantissa /= 1024;
      power++;
    }
    if (power > 0) return `${sign}${mantissa}${['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'][power] ?? ''}`;
    return `${sign}${abs}`;
  }
  if (format === 'BinarySI' && Number.isSafeInteger(abs)) return `${sign}${abs}`;
  let mantissa: bigint;
  let exponent: number;
  if (Number.isSafeInteger(abs)) {
    mantissa = BigInt(abs);
    exponent = 0;
  } else if (abs < 2 ** 53 / 1e9) {
    mantissa = BigInt(Math.max(1, Math.ceil(Number((abs * 1e9).toPrecision(15)))));
    exponent = -9;
  } else {
    // Too large to hold exactly: fall back to the decimal exponent form.
    const [m = '0', e = '0'] = abs.toExponential().split('e');
    return `${sign}${m}e${Number(e)}`;
  }
  while (mantissa % 1000n === 0n && exponent < 18) {
    mantissa /= 1000n;
    exponent += 3;
  }
  return `${sign}${mantissa.toString()}${decimalSuffixByExponent.get(exponent) ?? ''}`;
}

/** A quantity field: a string in the quantity grammar or a number. */
export const quantitySchema = z
  .union([z.string(), z.number()])
  .refine((q) => isQuantity(q), { message: quantityMessage });
