/** Errors thrown by the kernels: bad shapes and kernels a backend does not provide. */

/** A dim, length or attribute that does not fit the kernel's contract. The message names kernel and shapes. */
export class ShapeError extends RangeError {
  constructor(kernel: string, detail: string) {
    super(`${kernel}: ${detail}`);
    this.name = "ShapeError";
  }
}

/** A kernel the active backend does not implement. */
export class KernelNotImplementedError extends Error {
  constructor(kernel: string, backend: string) {
    super(`kernel ${kernel} is not implemented by the ${backend} backend`);
    this.name = "KernelNotImplementedError";
  }
}
