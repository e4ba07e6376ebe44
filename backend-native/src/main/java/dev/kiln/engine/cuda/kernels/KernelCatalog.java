package dev.kiln.engine.cuda.kernels;

import dev.kiln.spi.DType;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.CompositeOp;
import dev.kiln.spi.ir.ControlFlowOp;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.Distribution;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.GraphPrinter;
import dev.kiln.spi.ir.IndexingOp;
import dev.kiln.spi.ir.LinalgOp;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.ReductionOp;
import dev.kiln.spi.ir.ShapeOp;
import dev.kiln.spi.ir.SourceOp;
import dev.kiln.spi.ir.UnaryFn;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Kiln's CUDA kernels for one PTX architecture: loads the PTX shipped in this module's resources,
 * lists each module's entry points with their parameters, and says which kernels run an IR node.
 *
 * <p>The PTX is compiled ahead by {@code src/main/cuda/build-ptx.sh} for a few architectures;
 * {@link #forComputeCapability} picks the highest one the device can run, and the driver
 * JIT-compiles it for the device. Nodes map to kernels independently of the architecture: {@link
 * #kernelsFor} lists, in launch order, the kernels a node needs (a pad is a fill then a copy, a
 * convolution an im2col then a GEMM).
 *
 * {@snippet :
 * KernelCatalog catalog = KernelCatalog.forComputeCapability(8, 6); // the sm_80 PTX
 * for (CudaKernel k : KernelCatalog.kernelsFor(node)) {
 *   PtxModule.Entry entry = catalog.entry(k);
 * }
 * }
 */
public final class KernelCatalog {
  /** Where the PTX lives among the resources. */
  public static final String RESOURCE_ROOT = "/dev/kiln/engine/cuda/ptx/";

  /** The multiprocessor count {@link #kernelsFor(Node)} assumes when it picks a GEMM tile size. */
  public static final int DEFAULT_MULTIPROCESSORS = 80;

  private static volatile Properties manifest;

  private final String arch;
  private final Map<String, PtxModule> modules = new ConcurrentHashMap<>();

  private KernelCatalog(String arch) {
    this.arch = arch;
  }

  /**
   * The catalogue of the shipped PTX architecture {@code arch} ({@code sm_75}, ...).
   *
   * @throws IllegalArgumentException when no PTX was shipped for it, naming those that were
   */
  public static KernelCatalog forArch(String arch) {
    if (!archs().contains(arch)) {
      throw new IllegalArgumentException(
          "no Kiln PTX for architecture '" + arch + "'; shipped: " + archs());
    }
    return new KernelCatalog(arch);
  }

  /**
   * The catalogue for a device of compute capability {@code major.minor}: the highest shipped
   * architecture not above it.
   *
   * @throws IllegalArgumentException when the device is older than every shipped architecture
   */
  public static KernelCatalog forComputeCapability(int major, int minor) {
    int cc = major * 10 + minor;
    String best = null;
    int bestCc = -1;
    for (String a : archs()) {
      int v = Integer.parseInt(a.substring(a.indexOf('_') + 1));
      if (v <= cc && v > bestCc) {
        best = a;
        bestCc = v;
      }
    }
    if (best == null) {
      throw new IllegalArgumentException(
          "the GPU has compute capability "
              + major
              + "."
              + minor
              + ", older than every architecture Kiln's CUDA kernels are built for "
              + archs());
    }
    return new KernelCatalog(best);
  }

  /** The shipped architectures, lowest first, as the manifest lists them. */
  public static List<String> archs() {
    return List.of(manifest().getProperty("archs").split(","));
  }

  /** The shipped modules (source files without {@code .cu}). */
  public static List<String> moduleNames() {
    return Arrays.stream(manifest().getProperty("sources").split(","))
        .map(s -> s.substring(0, s.length() - ".cu".length()))
        .toList();
  }

  /**
   * The manifest that {@code build-ptx.sh} writes beside the PTX: the architectures, the sources,
   * their SHA-256 ({@code sources.sha256}), the nvcc version and flags.
   */
  public static Properties manifest() {
    Properties m = manifest;
    if (m == null) {
      m = new Properties();
      try {
        m.load(new StringReader(resource(RESOURCE_ROOT + "manifest.properties")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      manifest = m;
    }
    return m;
  }

  /** This catalogue's architecture, e.g. {@code sm_80}. */
  public String arch() {
    return arch;
  }

  /**
   * The parsed PTX module {@code name} of this architecture.
   *
   * @throws IllegalArgumentException when there is no such module
   */
  public PtxModule module(String name) {
    return modules.computeIfAbsent(
        name,
        n -> {
          if (!moduleNames().contains(n)) {
            throw new IllegalArgumentException(
                "no Kiln PTX module '" + n + "'; modules: " + moduleNames());
          }
          return PtxModule.parse(arch + "/" + n, resource(RESOURCE_ROOT + arch + "/" + n + ".ptx"));
        });
  }

  /**
   * The entry point of {@code k} in this architecture's PTX, checked against the parameter list its
   * family declares.
   *
   * @throws IllegalStateException when the PTX lacks the kernel or declares other parameters
   */
  public PtxModule.Entry entry(CudaKernel k) {
    PtxModule.Entry e = module(k.module()).entries().get(k.name());
    if (e == null) {
      throw new IllegalStateException(
          "the "
              + arch
              + " PTX module '"
              + k.module()
              + "' has no kernel "
              + k.name()
              + "; rebuild the PTX with backend-native/src/main/cuda/build-ptx.sh");
    }
    List<ParamKind> want = k.params();
    boolean same = e.params().size() == want.size();
    for (int i = 0; same && i < want.size(); i++) {
      same = want.get(i).matches(e.params().get(i));
    }
    if (!same) {
      throw new IllegalStateException(
          "kernel "
              + k.name()
              + " in the "
              + arch
              + " PTX takes "
              + e.params()
              + " but the launcher passes "
              + want);
    }
    return e;
  }

  private static String resource(String path) {
    try (InputStream in = KernelCatalog.class.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource " + path + " is missing from backend-native; run src/main/cuda/build-ptx.sh");
      }
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- nodes to kernels

  /**
   * {@link #kernelsFor(Node, int)} on a GPU of {@link #DEFAULT_MULTIPROCESSORS} multiprocessors.
   */
  public static List<CudaKernel> kernelsFor(Node n) {
    return kernelsFor(n, DEFAULT_MULTIPROCESSORS);
  }

  /**
   * The kernels that run node {@code n}, in launch order; empty for the nodes that need none
   * (parameters, constants and variable reads are bound memory; a scan runs its body's nodes). Some
   * entries launch more than once: a concat copies each operand, a convolution's GEMM runs per
   * chunk of images. A reshape may alias its operand and skip its copy; a scatter-add whose result
   * shares its target's memory skips the first copy.
   *
   * @param multiprocessors the GPU's multiprocessor count, which picks the GEMM tile size
   * @throws IllegalArgumentException for composites the engine expands into primitives before
   *     lowering, and for an op and dtype no kernel serves; the message names the node
   */
  public static List<CudaKernel> kernelsFor(Node n, int multiprocessors) {
    DType out = n.outputs().get(0).dtype();
    DType in0 = n.inputs().isEmpty() ? out : n.inputs().get(0).dtype();
    return switch (n.op()) {
      case ElementwiseOp.Unary u -> List.of(KernelFamily.UNARY.kernel(suffix(out)));
      case ElementwiseOp.Binary b -> List.of(KernelFamily.BINARY.kernel(suffix(out)));
      case ElementwiseOp.Compare c -> List.of(KernelFamily.COMPARE.kernel(suffix(in0)));
      case ElementwiseOp.Select s -> List.of(KernelFamily.SELECT.kernel(bytes(out)));
      case ElementwiseOp.Cast c ->
          List.of(KernelFamily.CAST.kernel(suffix(in0) + "_" + suffix(out)));
      case ReductionOp.Reduce r -> List.of(KernelFamily.REDUCE.kernel(numeric(n, in0)));
      case ReductionOp.ArgReduce a ->
          List.of(KernelFamily.ARGREDUCE.kernel(numeric(n, in0) + "_" + suffix(out)));
      case LinalgOp.MatMul m -> {
        long batch =
            n.outputs().get(0).shape().size()
                / Math.max(
                    1L,
                    (long) n.outputs().get(0).shape().dim(-1) * n.outputs().get(0).shape().dim(-2));
        yield List.of(
            gemm(
                n,
                out,
                n.outputs().get(0).shape().dim(-2),
                n.outputs().get(0).shape().dim(-1),
                batch,
                multiprocessors));
      }
      case ConvolutionOp.Conv c -> {
        ConvGeometry g = conv(c.spec(), n.inputs().get(0), n.inputs().get(1), n.outputs().get(0));
        yield List.of(
            KernelFamily.IM2COL.kernel(floatBytes(n, out)),
            gemm(n, out, g.rows(), g.coutG, g.groups, multiprocessors));
      }
      case ConvolutionOp.ConvBackpropInput c -> {
        ConvGeometry g = conv(c.spec(), n.outputs().get(0), n.inputs().get(1), n.inputs().get(0));
        yield List.of(
            gemm(n, out, g.rows(), g.columns(), g.groups, multiprocessors),
            KernelFamily.COL2IM.kernel(floating(n, out)));
      }
      case ConvolutionOp.ConvBackpropFilter c -> {
        ConvGeometry g = conv(c.spec(), n.inputs().get(0), n.outputs().get(0), n.inputs().get(1));
        yield List.of(
            KernelFamily.IM2COL.kernel(floatBytes(n, out)),
            gemm(n, out, g.columns(), g.coutG, g.groups, multiprocessors));
      }
      case PoolingOp.Pool p -> List.of(KernelFamily.POOL_FORWARD.kernel(floating(n, out)));
      case PoolingOp.MaxPoolBackward p ->
          List.of(KernelFamily.MAX_POOL_BACKWARD.kernel(floating(n, out)));
      case PoolingOp.AvgPoolBackward p ->
          List.of(KernelFamily.AVG_POOL_BACKWARD.kernel(floating(n, out)));
      case ShapeOp.Reshape r -> List.of(KernelFamily.COPY.kernel(bytes(out)));
      case ShapeOp.Transpose t -> List.of(KernelFamily.COPY.kernel(bytes(out)));
      case ShapeOp.BroadcastTo b -> List.of(KernelFamily.COPY.kernel(bytes(out)));
      case ShapeOp.Slice s -> List.of(KernelFamily.COPY.kernel(bytes(out)));
      case ShapeOp.StridedSlice s -> List.of(KernelFamily.COPY.kernel(bytes(out)));
      case ShapeOp.Concat c -> List.of(KernelFamily.COPY.kernel(bytes(out)));
      case ShapeOp.Pad p ->
          List.of(KernelFamily.FILL.kernel(bytes(out)), KernelFamily.COPY.kernel(bytes(out)));
      case IndexingOp.Gather g -> List.of(KernelFamily.GATHER.kernel(bytes(out)));
      case IndexingOp.ScatterAdd s ->
          List.of(
              KernelFamily.COPY.kernel(bytes(out)), KernelFamily.SCATTER_ADD.kernel(suffix(out)));
      case IndexingOp.OneHot o -> List.of(KernelFamily.ONE_HOT.kernel(suffix(out)));
      case SourceOp.Iota i -> List.of(KernelFamily.IOTA.kernel(numeric(n, out)));
      case SourceOp.Random r -> List.of(KernelFamily.RANDOM.kernel(suffix(out)));
      case CompositeOp.Softmax s -> List.of(KernelFamily.SOFTMAX.kernel(floating(n, out)));
      case CompositeOp.LogSoftmax s -> List.of(KernelFamily.SOFTMAX.kernel(floating(n, out)));
      case CompositeOp.AdamUpdate a -> List.of(KernelFamily.ADAM.kernel(floating(n, out)));
      case CompositeOp.BatchNormTraining b ->
          List.of(
              KernelFamily.BATCH_NORM_STATS.kernel(floating(n, out)),
              KernelFamily.BATCH_NORM_APPLY.kernel(floating(n, out)));
      case CompositeOp.BatchNormTrainingGrad b ->
          List.of(
              KernelFamily.BATCH_NORM_GRAD_SUMS.kernel(floating(n, out)),
              KernelFamily.BATCH_NORM_GRAD_APPLY.kernel(floating(n, out)));
      case SourceOp.Parameter _, SourceOp.VariableRead _, SourceOp.Constant _ -> List.of();
      case ControlFlowOp.Scan _ -> List.of();
      // The engine expands the other composites into primitives before lowering, as the CPU
      // device does (Kernels.hasDirectKernel).
      case CompositeOp c ->
          throw new IllegalArgumentException(
              "CUDA: composite '"
                  + n.op().name()
                  + "' is expanded into primitives before lowering and has no kernel; node "
                  + GraphPrinter.describe(n));
    };
  }

  private static ConvGeometry conv(
      dev.kiln.spi.ir.ConvSpec spec,
      dev.kiln.spi.ir.Value x,
      dev.kiln.spi.ir.Value w,
      dev.kiln.spi.ir.Value y) {
    return new ConvGeometry(spec, x.shape(), w.shape(), y.shape(), x.shape().dim(0));
  }

  private static CudaKernel gemm(
      Node n, DType d, long m, long cols, long batch, int multiprocessors) {
    return switch (d) {
      case FLOAT32, FLOAT16, BFLOAT16 -> {
        long tiles = ((m + 127) / 128) * ((cols + 127) / 128) * batch;
        KernelFamily f = tiles >= multiprocessors ? KernelFamily.GEMM : KernelFamily.GEMM64;
        yield f.kernel(suffix(d));
      }
      case FLOAT64, INT8, UINT8, INT32, INT64 -> KernelFamily.GEMM_SIMPLE.kernel(suffix(d));
      case BOOL -> throw unsupported(n, d);
    };
  }

  /** The dtype suffix of kernel names: f32 f64 f16 bf16 i8 u8 i32 i64 b8. */
  public static String suffix(DType d) {
    return switch (d) {
      case FLOAT32 -> "f32";
      case FLOAT64 -> "f64";
      case FLOAT16 -> "f16";
      case BFLOAT16 -> "bf16";
      case INT8 -> "i8";
      case UINT8 -> "u8";
      case INT32 -> "i32";
      case INT64 -> "i64";
      case BOOL -> "b8";
    };
  }

  /** The element-size suffix of the kernels that only move bytes: b1 b2 b4 b8. */
  public static String bytes(DType d) {
    return "b" + d.byteSize();
  }

  private static String numeric(Node n, DType d) {
    if (!d.isNumeric()) {
      throw unsupported(n, d);
    }
    return suffix(d);
  }

  private static String floating(Node n, DType d) {
    if (!d.isFloating()) {
      throw unsupported(n, d);
    }
    return suffix(d);
  }

  private static String floatBytes(Node n, DType d) {
    floating(n, d);
    return bytes(d);
  }

  private static IllegalArgumentException unsupported(Node n, DType d) {
    return new IllegalArgumentException(
        "CUDA: no kernel for '"
            + n.op().name()
            + "' on "
            + d
            + "; node "
            + GraphPrinter.describe(n));
  }

  // ---------------------------------------------------------------- codes

  /** The {@code KilnUnaryFn} code of {@code fn} (kiln_common.cuh). */
  public static int code(UnaryFn fn) {
    return switch (fn) {
      case NEG -> 0;
      case ABS -> 1;
      case SIGN -> 2;
      case EXP -> 3;
      case EXPM1 -> 4;
      case LOG -> 5;
      case LOG1P -> 6;
      case SQRT -> 7;
      case RSQRT -> 8;
      case SQUARE -> 9;
      case RECIPROCAL -> 10;
      case SIN -> 11;
      case COS -> 12;
      case TANH -> 13;
      case SIGMOID -> 14;
      case ERF -> 15;
      case FLOOR -> 16;
      case CEIL -> 17;
      case ROUND -> 18;
      case LOGICAL_NOT -> 19;
    };
  }

  /** The {@code KilnBinaryFn} code of {@code fn}. */
  public static int code(BinaryFn fn) {
    return switch (fn) {
      case ADD -> 0;
      case SUB -> 1;
      case MUL -> 2;
      case DIV -> 3;
      case POW -> 4;
      case MAX -> 5;
      case MIN -> 6;
      case MOD -> 7;
      case LOGICAL_AND -> 8;
      case LOGICAL_OR -> 9;
      case LOGICAL_XOR -> 10;
    };
  }

  /** The {@code KilnCompareFn} code of {@code fn}. */
  public static int code(CompareFn fn) {
    return switch (fn) {
      case EQUAL -> 0;
      case NOT_EQUAL -> 1;
      case LESS -> 2;
      case LESS_EQUAL -> 3;
      case GREATER -> 4;
      case GREATER_EQUAL -> 5;
    };
  }

  /** The {@code KilnReduceFn} code of {@code fn}. */
  public static int code(ReduceFn fn) {
    return switch (fn) {
      case SUM -> 0;
      case MEAN -> 1;
      case MAX -> 2;
      case MIN -> 3;
      case PROD -> 4;
    };
  }

  /** The {@code KilnArgFn} code of {@code fn}. */
  public static int code(ArgFn fn) {
    return switch (fn) {
      case ARGMAX -> 0;
      case ARGMIN -> 1;
    };
  }

  /** The {@code KilnPoolFn} code of {@code fn}. */
  public static int code(PoolFn fn) {
    return switch (fn) {
      case MAX -> 0;
      case AVG -> 1;
    };
  }

  /** The {@code KilnDistribution} code of {@code d}. */
  public static int code(Distribution d) {
    return switch (d) {
      case UNIFORM -> 0;
      case NORMAL -> 1;
      case BERNOULLI -> 2;
    };
  }

  /**
   * The index-type code the gather, scatter-add and one-hot kernels take for their index operand.
   *
   * @throws IllegalArgumentException when {@code d} is not an integer type
   */
  public static int indexTypeCode(DType d) {
    return switch (d) {
      case INT8 -> 0;
      case UINT8 -> 1;
      case INT32 -> 2;
      case INT64 -> 3;
      default -> throw new IllegalArgumentException("indices must be integers; received " + d);
    };
  }

  /** Every kernel name a family has in the shipped sources, for tests and tools. */
  static List<CudaKernel> all() {
    List<CudaKernel> all = new ArrayList<>();
    List<String> every = List.of("f32", "f64", "f16", "bf16", "i8", "u8", "i32", "i64", "b8");
    List<String> numeric = every.subList(0, 8);
    List<String> floats = every.subList(0, 4);
    List<String> sizes = List.of("b1", "b2", "b4", "b8");
    for (String t : every) {
      all.add(KernelFamily.UNARY.kernel(t));
      all.add(KernelFamily.BINARY.kernel(t));
      all.add(KernelFamily.COMPARE.kernel(t));
      all.add(KernelFamily.ONE_HOT.kernel(t));
      all.add(KernelFamily.RANDOM.kernel(t));
      all.add(KernelFamily.SCATTER_ADD.kernel(t));
      for (String u : every) {
        all.add(KernelFamily.CAST.kernel(t + "_" + u));
      }
    }
    for (String t : numeric) {
      all.add(KernelFamily.REDUCE.kernel(t));
      all.add(KernelFamily.ARGREDUCE.kernel(t + "_i32"));
      all.add(KernelFamily.ARGREDUCE.kernel(t + "_i64"));
      all.add(KernelFamily.IOTA.kernel(t));
    }
    for (String t : floats) {
      all.add(KernelFamily.SOFTMAX.kernel(t));
      all.add(KernelFamily.COL2IM.kernel(t));
      all.add(KernelFamily.POOL_FORWARD.kernel(t));
      all.add(KernelFamily.MAX_POOL_BACKWARD.kernel(t));
      all.add(KernelFamily.AVG_POOL_BACKWARD.kernel(t));
      all.add(KernelFamily.ADAM.kernel(t));
      all.add(KernelFamily.BATCH_NORM_STATS.kernel(t));
      all.add(KernelFamily.BATCH_NORM_APPLY.kernel(t));
      all.add(KernelFamily.BATCH_NORM_GRAD_SUMS.kernel(t));
      all.add(KernelFamily.BATCH_NORM_GRAD_APPLY.kernel(t));
    }
    for (String t : List.of("f32", "f16", "bf16")) {
      all.add(KernelFamily.GEMM.kernel(t));
      all.add(KernelFamily.GEMM64.kernel(t));
    }
    for (String t : List.of("f64", "i8", "u8", "i32", "i64")) {
      all.add(KernelFamily.GEMM_SIMPLE.kernel(t));
    }
    for (String s : sizes) {
      all.add(KernelFamily.SELECT.kernel(s));
      all.add(KernelFamily.COPY.kernel(s));
      all.add(KernelFamily.FILL.kernel(s));
      all.add(KernelFamily.GATHER.kernel(s));
    }
    for (String s : sizes.subList(1, 4)) {
      all.add(KernelFamily.IM2COL.kernel(s));
    }
    return all;
  }
}
