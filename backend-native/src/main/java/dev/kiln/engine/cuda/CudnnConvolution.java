package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.Cudnn;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.ConvSpec;
import java.util.Arrays;
import java.util.Optional;

/**
 * One pass of a channels-last convolution as cuDNN runs it: the descriptors' dimensions and
 * strides, and the padding. Kiln's tensors are {@code [N, spatial..., C]} and its kernels {@code
 * [spatial..., Cin/groups, Cout]}; cuDNN reads the tensors in place through strided {@code NCHW}
 * descriptors, but its filters only as {@code [Cout, spatial..., Cin/groups]} ({@link
 * Cudnn#TENSOR_NHWC}), so the kernel is transposed into that order before a forward or
 * backward-data pass, and a backward-filter pass writes that order and is transposed back.
 *
 * <p>A one-dimensional convolution runs as a two-dimensional one of height 1, since cuDNN's
 * descriptors take at least four dimensions.
 *
 * @param pass the pass
 * @param dtype the element type (float32, float16 or bfloat16)
 * @param batch images
 * @param in the input's spatial extents (the gradient's, for backward data), at least two
 * @param cin input channels
 * @param kernel the kernel's spatial extents
 * @param cout output channels
 * @param groups channel groups
 * @param out the output's spatial extents
 * @param pads the padding before (and after) each spatial axis
 * @param strides the strides
 * @param dilations the dilations
 */
public record CudnnConvolution(
    Cudnn.Pass pass,
    DType dtype,
    int batch,
    int[] in,
    int cin,
    int[] kernel,
    int cout,
    int groups,
    int[] out,
    int[] pads,
    int[] strides,
    int[] dilations) {
  /** Copies the arrays. */
  public CudnnConvolution {
    in = in.clone();
    kernel = kernel.clone();
    out = out.clone();
    pads = pads.clone();
    strides = strides.clone();
    dilations = dilations.clone();
  }

  /**
   * The pass of a convolution of {@code x} with kernel {@code w} giving {@code y} (for backward
   * data, {@code x} is the gradient's shape and {@code y} the incoming gradient's; for backward
   * filter, {@code w} is the gradient's shape), or empty when cuDNN cannot run it as the IR means
   * it: another element type, more than three spatial axes, or padding cuDNN cannot express. cuDNN
   * pads both ends of an axis alike; with the IR's padding before an axis on both ends, the windows
   * start where the IR's do, and when cuDNN's output extents are the IR's, every element a window
   * reads past the input is a zero in both, so the padding after the axis may differ.
   */
  public static Optional<CudnnConvolution> of(
      Cudnn.Pass pass, ConvSpec spec, Shape x, Shape w, Shape y, DType dtype) {
    if (dataType(dtype) < 0) {
      return Optional.empty();
    }
    int rank = spec.spatialRank();
    if (rank < 1 || rank > 3) {
      return Optional.empty();
    }
    int[] in = new int[rank];
    int[] k = new int[rank];
    int[] o = new int[rank];
    int[] pads = new int[rank];
    int[] strides = spec.strides();
    int[] dilations = spec.dilations();
    for (int a = 0; a < rank; a++) {
      in[a] = x.dim(1 + a);
      k[a] = w.dim(a);
      o[a] = y.dim(1 + a);
      int[] lowHigh = spec.padding().resolve(a, in[a], k[a], strides[a], dilations[a]);
      pads[a] = lowHigh[0];
      int span = (k[a] - 1) * dilations[a] + 1;
      if (in[a] + 2 * pads[a] < span || (in[a] + 2 * pads[a] - span) / strides[a] + 1 != o[a]) {
        return Optional.empty();
      }
    }
    if (rank == 1) {
      in = new int[] {1, in[0]};
      k = new int[] {1, k[0]};
      o = new int[] {1, o[0]};
      pads = new int[] {0, pads[0]};
      strides = new int[] {1, strides[0]};
      dilations = new int[] {1, dilations[0]};
    }
    return Optional.of(
        new CudnnConvolution(
            pass,
            dtype,
            x.dim(0),
            in,
            x.dim(-1),
            k,
            w.dim(-1),
            spec.groups(),
            o,
            pads,
            strides,
            dilations));
  }

  /** cuDNN's data type for {@code dtype}, or -1 when the convolutions do not go to cuDNN. */
  static int dataType(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> Cudnn.DATA_FLOAT;
      case FLOAT16 -> Cudnn.DATA_HALF;
      case BFLOAT16 -> Cudnn.DATA_BFLOAT16;
      // float64 would need double scalars; the integer types have no convolutions in cuDNN.
      default -> -1;
    };
  }

  /** cuDNN's data type of the tensors. */
  public int dataType() {
    return dataType(dtype);
  }

  /** The input tensor's descriptor dimensions, {@code [N, C, spatial...]}. */
  public int[] inputDims() {
    return dims(in, cin);
  }

  /** The input tensor's element strides for channels-last memory, in the order of the dims. */
  public int[] inputStrides() {
    return strides(in, cin);
  }

  /** The output tensor's descriptor dimensions, {@code [N, C, spatial...]}. */
  public int[] outputDims() {
    return dims(out, cout);
  }

  /** The output tensor's element strides for channels-last memory. */
  public int[] outputStrides() {
    return strides(out, cout);
  }

  /** The filter descriptor's dimensions, {@code [Cout, Cin/groups, spatial...]}. */
  public int[] filterDims() {
    int[] d = new int[2 + kernel.length];
    d[0] = cout;
    d[1] = cin / groups;
    System.arraycopy(kernel, 0, d, 2, kernel.length);
    return d;
  }

  /** Elements of the kernel. */
  public long filterElements() {
    long n = (long) cout * (cin / groups);
    for (int k : kernel) {
      n *= k;
    }
    return n;
  }

  /**
   * The permutation that takes Kiln's kernel {@code [spatial..., Cin/groups, Cout]} (of the IR's
   * spatial rank, which may be 1) to cuDNN's {@code [Cout, spatial..., Cin/groups]}; its inverse
   * takes a backward-filter result back.
   */
  public static int[] toCudnnFilter(int spatialRank) {
    int[] perm = new int[spatialRank + 2];
    perm[0] = spatialRank + 1;
    for (int a = 0; a < spatialRank; a++) {
      perm[1 + a] = a;
    }
    perm[spatialRank + 1] = spatialRank;
    return perm;
  }

  private int[] dims(int[] spatial, int channels) {
    int[] d = new int[2 + spatial.length];
    d[0] = batch;
    d[1] = channels;
    System.arraycopy(spatial, 0, d, 2, spatial.length);
    return d;
  }

  private static int[] strides(int[] spatial, int channels) {
    int[] s = new int[2 + spatial.length];
    s[1] = 1;
    int step = channels;
    for (int a = spatial.length - 1; a >= 0; a--) {
      s[2 + a] = step;
      step *= spatial[a];
    }
    s[0] = step;
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CudnnConvolution c
        && c.pass == pass
        && c.dtype == dtype
        && c.batch == batch
        && c.cin == cin
        && c.cout == cout
        && c.groups == groups
        && Arrays.equals(c.in, in)
        && Arrays.equals(c.kernel, kernel)
        && Arrays.equals(c.out, out)
        && Arrays.equals(c.pads, pads)
        && Arrays.equals(c.strides, strides)
        && Arrays.equals(c.dilations, dilations);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(
        new Object[] {
          pass, dtype, batch, cin, cout, groups, in, kernel, out, pads, strides, dilations
        });
  }

  @Override
  public String toString() {
    return pass
        + " "
        + dtype.kerasName()
        + " x["
        + batch
        + ", "
        + Arrays.toString(in)
        + ", "
        + cin
        + "] w"
        + Arrays.toString(kernel)
        + " -> "
        + cout
        + " groups="
        + groups
        + " pads="
        + Arrays.toString(pads)
        + " strides="
        + Arrays.toString(strides)
        + " dilations="
        + Arrays.toString(dilations);
  }
}
