import type {
  KernelBackend,
  KernelFunc,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs';

import type { Tf } from '#vision';

/**
 * Training support for the wasm backend, which ships no Conv2DBackpropFilter kernel (so a conv layer
 * cannot learn), a slow, naive Conv2DBackpropInput, and a Tile (used by the batch-norm gradient) that
 * computes an index per element. Both gradients of a stride-1 convolution are
 * themselves convolutions, so they are rebuilt from kernels the wasm backend runs fast (XNNPACK Conv2D,
 * Transpose, Reverse, PadV2):
 *
 *   dx = conv(pad(dy, k - 1 - pad), filter rotated 180 degrees with in/out channels swapped)
 *   dW = conv(x padded and transposed to [inC, H, W, batch], dy transposed to [outH, outW, batch, outC]),
 *        transposed back to [kH, kW, inC, outC]
 *
 * Strides other than 1 fall back to the backend's own input gradient and are refused for the filter
 * gradient (the trainer's network uses stride-1 convolutions only). Tile is replaced by row copies.
 * Inference never needs these kernels; the replacements give the same results (see the spec).
 */
export function registerWasmTrainingKernels(tf: Tf): void {
  if (registered) return;
  const kernel = (name: string): KernelFunc => {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`wasm backend has no ${name} kernel`);
    return config.kernelFunc;
  };
  const ops: WasmOps = {
    conv2d: kernel('Conv2D'),
    pad: kernel('PadV2'),
    reverse: kernel('Reverse'),
    transpose: kernel('Transpose'),
  };
  const nativeInputGradient = tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc;
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: (args) => inputGradient(ops, args, nativeInputGradient),
  });
  const nativeTile = tf.getKernel('Tile', 'wasm')?.kernelFunc;
  tf.unregisterKernel('Tile', 'wasm');
  tf.registerKernel({
    kernelName: 'Tile',
    backendName: 'wasm',
    kernelFunc: (args) => tile(args, nativeTile),
  });
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: (args) => filterGradient(ops, args),
    });
  }
  registered = true;
}

let registered = false;

interface WasmOps {
  readonly conv2d: KernelFunc;
  readonly pad: KernelFunc;
  readonly reverse: KernelFunc;
  readonly transpose: KernelFunc;
}

interface KernelArgs {
  inputs: NamedTensorInfoMap;
  backend: object;
  attrs?: NamedAttrMap;
}

function input(args: KernelArgs, name: string): TensorInfo {
  const tensor = args.inputs[name];
  if (!tensor) throw new Error(`kernel input ${name} missing`);
  return tensor;
}

/** Runs a kernel that returns one tensor, remembering it for disposal. */
function run(fn: KernelFunc, args: KernelArgs, temporaries: TensorInfo[]): TensorInfo {
  const out = fn(args) as TensorInfo;
  temporaries.push(out);
  return out;
}

function dispose(backend: object, temporaries: readonly TensorInfo[]): void {
  for (const t of temporaries) (backend as KernelBackend).disposeData(t.dataId);
}

/** [top, bottom, left, right] padding of a stride-1 convolution, or undefined when not supported. */
function stride1Padding(
  attrs: NamedAttrMap,
  kh: number,
  kw: number,
): [number, number, number, number] | undefined {
  const strides = attrs.strides as number | [number, number];
  const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
  if (sh !== 1 || sw !== 1 || (attrs.dataFormat ?? 'NHWC') !== 'NHWC') return undefined;
  if (attrs.pad === 'valid') return [0, 0, 0, 0];
  if (attrs.pad === 'same') {
    const top = Math.floor((kh - 1) / 2);
    const left = Math.floor((kw - 1) / 2);
    return [top, kh - 1 - top, left, kw - 1 - left];
  }
  return undefined;
}

function inputGradient(ops: WasmOps, args: KernelArgs, native?: KernelFunc): TensorInfo {
  const dy = input(args, 'dy');
  const filter = input(args, 'filter');
  const attrs = args.attrs ?? {};
  const [kh, kw] = filter.shape;
  const padding = stride1Padding(attrs, kh, kw);
  if (!padding) {
    if (!native) throw new Error('Conv2DBackpropInput: only stride 1 with same/valid padding is supported');
    return native(args) as TensorInfo;
  }
  const [top, bottom, left, right] = padding;
  const { backend } = args;
  const temporaries: TensorInfo[] = [];
  try {
    const rotated = run(
      ops.reverse,
      { inputs: { x: filter }, backend, attrs: { dims: [0, 1] } },
      temporaries,
    );
    const swapped = run(
      ops.transpose,
      { inputs: { x: rotated }, backend, attrs: { perm: [0, 1, 3, 2] } },
      temporaries,
    );
    const paddings = [
      [0, 0],
      [kh - 1 - top, kh - 1 - bottom],
      [kw - 1 - left, kw - 1 - right],
      [0, 0],
    ];
    const padded = run(
      ops.pad,
      { inputs: { x: dy }, backend, attrs: { paddings, constantValue: 0 } },
      temporaries,
    );
    return ops.conv2d({
      inputs: { x: padded, filter: swapped },
      backend,
      attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
    }) as TensorInfo;
  } finally {
    dispose(backend, temporaries);
  }
}

function filterGradient(ops: WasmOps, args: KernelArgs): TensorInfo {
  const x = input(args, 'x');
  const dy = input(args, 'dy');
  const attrs = args.attrs ?? {};
  const [kh, kw] = attrs.filterShape as [number, number, number, number];
  const padding = stride1Padding(attrs, kh, kw);
  if (!padding)
    throw new Error('Conv2DBackpropFilter on wasm: only stride 1 with same/valid padding is supported');
  const [top, bottom, left, right] = padding;
  const { backend } = args;
  const temporaries: TensorInfo[] = [];
  try {
    const paddings = [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ];
    const padded = run(
      ops.pad,
      { inputs: { x }, backend, attrs: { paddings, constantValue: 0 } },
      temporaries,
    );
    const images = run(
      ops.transpose,
      { inputs: { x: padded }, backend, attrs: { perm: [3, 1, 2, 0] } },
      temporaries,
    );
    const filters = run(
      ops.transpose,
      { inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } },
      temporaries,
    );
    const gradient = run(
      ops.conv2d,
      {
        inputs: { x: images, filter: filters },
        backend,
        attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] },
      },
      temporaries,
    );
    return ops.transpose({ inputs: { x: gradient }, backend, attrs: { perm: [1, 2, 0, 3] } }) as TensorInfo;
  } finally {
    dispose(backend, temporaries);
  }
}

/** The parts of the wasm backend object a kernel uses to write its output directly. */
interface WasmHeapAccess {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(tensor: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** Tile by copying whole innermost rows with TypedArray.set instead of one index computation per value. */
function tile(args: KernelArgs, native?: KernelFunc): TensorInfo {
  const x = input(args, 'x');
  const reps = (args.attrs?.reps ?? []) as number[];
  const rank = x.shape.length;
  if (x.dtype === 'string' || rank === 0 || reps.length !== rank) {
    if (!native) throw new Error(`Tile: unsupported input (${x.dtype}, rank ${rank})`);
    return native(args) as TensorInfo;
  }
  const backend = args.backend as unknown as WasmHeapAccess;
  const outShape = x.shape.map((d, i) => d * reps[i]);
  // Allocate first: growing the wasm heap detaches earlier views of it.
  const out = backend.makeOutput(outShape, x.dtype);
  const source = backend.typedArrayFromHeap(x);
  const target = backend.typedArrayFromHeap(out);
  const inner = x.shape[rank - 1];
  const innerOut = outShape[rank - 1];
  if (target.length === 0) return out;
  if (x.shape.slice(0, -1).every((d) => d === 1)) {
    // One row broadcast over the leading dimensions (the batch-norm case): write it once, then double.
    for (let k = 0; k < reps[rank - 1]; k++) target.set(source.subarray(0, inner), k * inner);
    for (let filled = innerOut; filled < target.length; filled *= 2) {
      target.copyWithin(filled, 0, Math.min(filled, target.length - filled));
    }
    return out;
  }
  const rows = target.length / innerOut;
  const position = new Array<number>(rank - 1).fill(0);
  for (let row = 0; row < rows; row++) {
    let sourceRow = 0;
    for (let d = 0; d < rank - 1; d++) sourceRow = sourceRow * x.shape[d] + (position[d] % x.shape[d]);
    const values = source.subarray(sourceRow * inner, sourceRow * inner + inner);
    for (let k = 0; k < reps[rank - 1]; k++) target.set(values, row * innerOut + k * inner);
    for (let d = rank - 2; d >= 0; d--) {
      if (++position[d] < outShape[d]) break;
      position[d] = 0;
    }
  }
  return out;
}
