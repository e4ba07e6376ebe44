package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.CudaLaunch.Arg;
import dev.kiln.engine.cuda.CudaLaunch.I64;
import dev.kiln.engine.cuda.CudaLaunch.Ptr;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.KernelFamily;
import dev.kiln.engine.cuda.kernels.ParamKind;
import dev.kiln.engine.plan.MemoryPlan;
import dev.kiln.spi.DType;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.ElementwiseOp;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.Node;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Chains of elementwise nodes turned into one generated CUDA kernel each, for devices that compile
 * CUDA C at run time (NVRTC): the chain's intermediates stay in registers, so memory sees each
 * input read once and the result written once, and one launch replaces one per node.
 *
 * <p>What fuses: float32 unary and binary ops (not the logical ones), float32 comparisons and
 * selects of float32 values, all of one output shape, each operand of that shape, a scalar, or a
 * block of its axes broadcast over the others ({@code [C]} or {@code [N, 1]} over {@code [N, C]}).
 * A node joins the chain that produced one of its operands when every use of that operand may join
 * too (the chains of its other such operands merge into it); a chain keeps its longest prefix whose
 * intermediates are used only inside it and are not graph outputs, and runs at its last node.
 * Unlike the CPU device's single-use chains this lets a value feed two ops of the chain, as {@code
 * relu(x) = select(x <= 0, 0, x)} needs.
 *
 * <p>Each op computes exactly what Kiln's own kernel computes for it ({@code elementwise.cu}): in
 * float, with the same functions (the remainder through double). Two things keep the compiler from
 * changing a result: adds, subtractions and multiplies are {@code __fadd_rn}-style intrinsics,
 * which are never contracted into a fused multiply-add with a neighbouring op, and each op that
 * calls the math library is a {@code __noinline__} function, so that neither NVVM nor ptxas
 * contracts the last multiply of one library function with the first add of the next (softplus is
 * {@code log1p(exp(x))}); inside an op the code is the same as in Kiln's kernel, and so are its
 * contractions.
 */
public final class FusedElementwise {
  /** The most inputs one generated kernel reads. */
  public static final int MAX_INPUTS = 32;

  private static final String NAME_PLACEHOLDER = "kiln_fused_@";

  /**
   * Where a kernel reads an input at output position {@code i}: {@code in[(i / inner) % size]}.
   *
   * @param inner elements of the output's axes after the input's block
   * @param size the input's elements
   * @param total the output's elements
   */
  record Read(long inner, long size, long total) {
    /** The C index expression. */
    String index() {
      if (size == 1) {
        return "0";
      }
      if (inner == 1) {
        return size == total ? "i" : "i % " + size + "LL";
      }
      return inner * size == total
          ? "i / " + inner + "LL"
          : "(i / " + inner + "LL) % " + size + "LL";
    }
  }

  /**
   * One generated kernel.
   *
   * @param name its {@code extern "C"} name, {@code kiln_fused_} and a hash of its source
   * @param nodes the chain, in order; the last one's result is the kernel's output
   * @param inputs the values it reads, in parameter order
   * @param helpers the device functions the body calls, by name, as C definitions
   * @param body the kernel's C definition
   */
  public record Kernel(
      String name, List<Node> nodes, List<Value> inputs, Map<String, String> helpers, String body) {
    /** Copies. */
    public Kernel {
      nodes = List.copyOf(nodes);
      inputs = List.copyOf(inputs);
      helpers = java.util.Collections.unmodifiableMap(new TreeMap<>(helpers));
    }

    /** The chain's last node, where the kernel runs. */
    public Node last() {
      return nodes.get(nodes.size() - 1);
    }

    /** The value the kernel writes. */
    public Value output() {
      return last().output();
    }

    /** The kernel's self-contained CUDA C source. */
    public String source() {
      return FusedElementwise.source(List.of(this));
    }

    /** The kernel's identity: {@code (I64 n, PTR in0, ..., PTR out)}. */
    public CudaKernel kernel() {
      List<ParamKind> params = new ArrayList<>();
      params.add(ParamKind.I64);
      for (int i = 0; i <= inputs.size(); i++) {
        params.add(ParamKind.PTR);
      }
      return new CudaKernel(name, KernelFamily.FUSED, params);
    }

    /** The kernel's launch over the output, pointers naming the values' slots. */
    public CudaLaunch launch(ToIntFunction<Value> slotOf) {
      long n = output().shape().size();
      List<Arg> args = new ArrayList<>();
      args.add(new I64(n));
      for (Value v : inputs) {
        args.add(new Ptr(slotOf.applyAsInt(v), 0, v, false));
      }
      args.add(new Ptr(slotOf.applyAsInt(output()), 0, output(), true));
      return new CudaLaunch(kernel(), CudaLowering.cover(n), CudaLowering.BLOCK, args);
    }

    /** The chain's ops for messages: {@code mul -> add -> sigmoid}. */
    public String describe() {
      return String.join(" -> ", nodes.stream().map(x -> x.op().name()).toList());
    }
  }

  private FusedElementwise() {}

  /**
   * Whether node {@code n} can be part of a generated kernel: a float32 unary or binary op (not a
   * logical one), a comparison of float32 values or a select of float32 values, with every operand
   * readable by a {@link Read}, and a non-empty result.
   */
  public static boolean fusable(Node n) {
    if (n.outputs().size() != 1 || n.output().shape().size() == 0) {
      return false;
    }
    DType y = n.output().dtype();
    boolean op =
        switch (n.op()) {
          case ElementwiseOp.Unary u -> y == DType.FLOAT32 && u.fn() != UnaryFn.LOGICAL_NOT;
          case ElementwiseOp.Binary b -> y == DType.FLOAT32 && !b.fn().logical();
          case ElementwiseOp.Compare c -> n.inputs().get(0).dtype() == DType.FLOAT32;
          case ElementwiseOp.Select s -> y == DType.FLOAT32;
          default -> false;
        };
    if (!op) {
      return false;
    }
    for (Value v : n.inputs()) {
      if (read(v.shape(), n.output().shape()) == null) {
        return false;
      }
    }
    return true;
  }

  /**
   * How an operand of shape {@code in} is read at the positions of {@code out}, or null when its
   * broadcast is not one block of axes: the axes where {@code in} has {@code out}'s size must be
   * contiguous among those of size above 1, the others of size 1.
   */
  static Read read(Shape in, Shape out) {
    int rank = out.rank();
    int shift = rank - in.rank();
    if (shift < 0) {
      return null;
    }
    int first = -1;
    int last = -1;
    for (int a = 0; a < rank; a++) {
      long d = a < shift ? 1 : in.dim(a - shift);
      long o = out.dim(a);
      if (o == 1 && d == 1) {
        continue;
      }
      if (d == o) {
        if (first < 0) {
          first = a;
        }
        last = a;
      } else if (d != 1) {
        return null;
      }
    }
    if (first < 0) {
      return new Read(1, 1, out.size());
    }
    long inner = 1;
    for (int a = 0; a < rank; a++) {
      long d = a < shift ? 1 : in.dim(a - shift);
      if (a >= first && a <= last && out.dim(a) != 1 && d != out.dim(a)) {
        return null;
      }
      if (a > last) {
        inner *= out.dim(a);
      }
    }
    return new Read(inner, in.size(), out.size());
  }

  /**
   * The chains of graph {@code g} worth a kernel (two nodes or more), in the order of their first
   * nodes, each generated.
   */
  public static List<Kernel> plan(Graph g) {
    List<Node> live = MemoryPlan.liveNodes(g);
    Map<Value, List<Node>> consumers = new HashMap<>();
    for (Node n : live) {
      for (Value v : n.inputs()) {
        consumers.computeIfAbsent(v, x -> new ArrayList<>()).add(n);
      }
    }
    Set<Value> pinned = new HashSet<>(g.outputs());
    pinned.addAll(g.updates().values());
    Map<Node, Integer> position = new HashMap<>();
    for (int i = 0; i < live.size(); i++) {
      position.put(live.get(i), i);
    }
    Map<Value, List<Node>> chainOf = new HashMap<>();
    List<List<Node>> chains = new ArrayList<>();
    for (Node n : live) {
      if (!fusable(n)) {
        continue;
      }
      // n joins the chain of its first operand that may fuse; the chains of its other such
      // operands merge into that one (a select of two fused branches is one kernel).
      List<Node> chain = null;
      for (Value v : n.inputs()) {
        List<Node> c = chainOf.get(v);
        if (c == null
            || c == chain
            || pinned.contains(v)
            || !c.get(0).output().shape().equals(n.output().shape())
            || !consumers.get(v).stream()
                .allMatch(u -> fusable(u) && u.output().shape().equals(n.output().shape()))) {
          continue;
        }
        List<Node> joined = new ArrayList<>(c);
        if (chain != null) {
          joined.addAll(chain);
        }
        joined.add(n);
        if (inputs(joined).size() > MAX_INPUTS) {
          continue;
        }
        if (chain == null) {
          chain = c;
        } else {
          List<Node> merged = c;
          chain.addAll(merged);
          chain.sort(java.util.Comparator.comparingInt(position::get));
          for (Node m : merged) {
            chainOf.put(m.output(), chain);
          }
          chains.removeIf(x -> x == merged);
        }
      }
      if (chain == null) {
        chain = new ArrayList<>();
        chains.add(chain);
      }
      chain.add(n);
      chainOf.put(n.output(), chain);
    }
    List<Kernel> kernels = new ArrayList<>();
    for (List<Node> chain : chains) {
      int keep = validPrefix(chain, consumers, pinned);
      if (keep >= 2) {
        kernels.add(generate(chain.subList(0, keep)));
      }
    }
    return kernels;
  }

  private static Set<Value> inputs(List<Node> chain) {
    Set<Value> inside = new HashSet<>();
    for (Node n : chain) {
      inside.add(n.output());
    }
    Set<Value> in = new LinkedHashSet<>();
    for (Node n : chain) {
      for (Value v : n.inputs()) {
        if (!inside.contains(v)) {
          in.add(v);
        }
      }
    }
    return in;
  }

  /**
   * The length of the longest prefix of {@code chain} whose intermediates (every result but the
   * last's) are read only inside the prefix and are not graph outputs: those never reach memory.
   */
  private static int validPrefix(
      List<Node> chain, Map<Value, List<Node>> consumers, Set<Value> pinned) {
    Map<Node, Integer> position = new HashMap<>();
    for (int i = 0; i < chain.size(); i++) {
      position.put(chain.get(i), i);
    }
    int best = 0;
    int reach = 0;
    for (int m = 1; m <= chain.size(); m++) {
      if (m >= 2) {
        Value v = chain.get(m - 2).output();
        if (pinned.contains(v)) {
          reach = Integer.MAX_VALUE;
        }
        for (Node u : consumers.getOrDefault(v, List.of())) {
          reach = Math.max(reach, position.getOrDefault(u, Integer.MAX_VALUE));
        }
      }
      if (reach <= m - 1) {
        best = m;
      }
    }
    return best;
  }

  /**
   * The kernel of a chain: nodes of {@link #fusable} ops and one output shape, each reading only
   * values from outside the chain or from earlier nodes of it.
   *
   * @throws IllegalArgumentException when a node is not fusable or its shape differs, or the chain
   *     reads more than {@link #MAX_INPUTS} values
   */
  public static Kernel generate(List<Node> chain) {
    Shape shape = chain.get(chain.size() - 1).output().shape();
    for (Node n : chain) {
      if (!fusable(n) || !n.output().shape().equals(shape)) {
        throw new IllegalArgumentException(
            "node " + n.op().name() + " " + n.output().type() + " cannot join a chain of " + shape);
      }
    }
    List<Value> inputs = List.copyOf(inputs(chain));
    if (inputs.size() > MAX_INPUTS) {
      throw new IllegalArgumentException(
          "a chain reads at most " + MAX_INPUTS + " values; this one reads " + inputs.size());
    }
    Map<Value, String> names = new HashMap<>();
    Map<String, String> helpers = new TreeMap<>();
    StringBuilder b = new StringBuilder();
    b.append("// ")
        .append(String.join(" -> ", chain.stream().map(x -> x.op().name()).toList()))
        .append(" over ")
        .append(shape)
        .append('\n');
    b.append("extern \"C\" __global__ void ").append(NAME_PLACEHOLDER).append("(long long n");
    for (int k = 0; k < inputs.size(); k++) {
      b.append(", const ").append(pointee(inputs.get(k))).append("* in").append(k);
    }
    Value out = chain.get(chain.size() - 1).output();
    b.append(", ").append(pointee(out)).append("* out) {\n");
    // One element per iteration, as Kiln's grid-stride kernels, unrolled no further.
    b.append("#pragma unroll 1\n");
    b.append(
        "  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;"
            + " i += (long long)gridDim.x * blockDim.x) {\n");
    for (int k = 0; k < inputs.size(); k++) {
      Value v = inputs.get(k);
      String at = "in" + k + "[" + read(v.shape(), shape).index() + "]";
      names.put(v, "a" + k);
      b.append("    const ")
          .append(register(v))
          .append(" a")
          .append(k)
          .append(" = ")
          .append(v.dtype() == DType.BOOL ? at + " != 0" : at)
          .append(";\n");
    }
    for (int j = 0; j < chain.size(); j++) {
      Node n = chain.get(j);
      String[] x = n.inputs().stream().map(names::get).toArray(String[]::new);
      String t = "t" + j;
      b.append("    const ")
          .append(register(n.output()))
          .append(' ')
          .append(t)
          .append(" = ")
          .append(expression(n, x, helpers))
          .append(";\n");
      names.put(n.output(), t);
    }
    String result = names.get(out);
    b.append("    out[i] = ")
        .append(out.dtype() == DType.BOOL ? result + " ? 1 : 0" : result)
        .append(";\n");
    b.append("  }\n}\n");
    String unnamed = b.toString();
    String name = "kiln_fused_" + hash(helperText(helpers.values()) + unnamed);
    return new Kernel(name, chain, inputs, helpers, unnamed.replace(NAME_PLACEHOLDER, name));
  }

  private static String pointee(Value v) {
    return v.dtype() == DType.BOOL ? "unsigned char" : "float";
  }

  private static String register(Value v) {
    return v.dtype() == DType.BOOL ? "bool" : "float";
  }

  /** The C expression of node {@code n} over operand registers {@code x}. */
  private static String expression(Node n, String[] x, Map<String, String> helpers) {
    return switch (n.op()) {
      case ElementwiseOp.Unary u -> unary(u.fn(), x[0], helpers);
      case ElementwiseOp.Binary b -> binary(b.fn(), x[0], x[1], helpers);
      case ElementwiseOp.Compare c ->
          switch (c.fn()) {
            // IEEE comparisons: NaN is unequal to all, -0 equals +0 (kiln_compare_body).
            case EQUAL -> x[0] + " == " + x[1];
            case NOT_EQUAL -> "!(" + x[0] + " == " + x[1] + ")";
            case LESS -> x[0] + " < " + x[1];
            case LESS_EQUAL -> x[0] + " <= " + x[1];
            case GREATER -> x[0] + " > " + x[1];
            case GREATER_EQUAL -> x[0] + " >= " + x[1];
          };
      case ElementwiseOp.Select s -> x[0] + " ? " + x[1] + " : " + x[2];
      default -> throw new IllegalArgumentException("not fusable: " + n.op().name());
    };
  }

  /** {@code kiln_unary_fp<float>} for {@code fn}. */
  static String unary(UnaryFn fn, String v, Map<String, String> helpers) {
    return switch (fn) {
      case NEG -> "-" + v;
      case ABS -> "fabsf(" + v + ")";
      case SIGN -> v + " > 0.0f ? 1.0f : " + v + " < 0.0f ? -1.0f : " + v;
      case EXP -> library(helpers, "kiln_exp", "expf(v)", v);
      case EXPM1 -> library(helpers, "kiln_expm1", "expm1f(v)", v);
      case LOG -> library(helpers, "kiln_log", "logf(v)", v);
      case LOG1P -> library(helpers, "kiln_log1p", "log1pf(v)", v);
      case SQRT -> "sqrtf(" + v + ")";
      case RSQRT -> "1.0f / sqrtf(" + v + ")";
      case SQUARE -> "__fmul_rn(" + v + ", " + v + ")";
      case RECIPROCAL -> "1.0f / " + v;
      case SIN -> library(helpers, "kiln_sin", "sinf(v)", v);
      case COS -> library(helpers, "kiln_cos", "cosf(v)", v);
      case TANH -> library(helpers, "kiln_tanh", "tanhf(v)", v);
      case SIGMOID -> library(helpers, "kiln_sigmoid", "1.0f / (1.0f + expf(-v))", v);
      case ERF -> library(helpers, "kiln_erf", "erff(v)", v);
      case FLOOR -> "floorf(" + v + ")";
      case CEIL -> "ceilf(" + v + ")";
      case ROUND -> "rintf(" + v + ")";
      case LOGICAL_NOT -> throw new IllegalArgumentException("logical_not is not fusable");
    };
  }

  /** {@code kiln_binary_fp<float>} for {@code fn}. */
  static String binary(BinaryFn fn, String p, String q, Map<String, String> helpers) {
    return switch (fn) {
      case ADD -> "__fadd_rn(" + p + ", " + q + ")";
      case SUB -> "__fsub_rn(" + p + ", " + q + ")";
      case MUL -> "__fmul_rn(" + p + ", " + q + ")";
      case DIV -> p + " / " + q;
      case POW -> {
        helpers.put(
            "kiln_pow",
            "static __device__ __noinline__ float kiln_pow(float p, float q) {"
                + " return powf(p, q); }");
        yield "kiln_pow(" + p + ", " + q + ")";
      }
      case MAX -> {
        helpers.put(
            "kiln_fmax",
            """
            static __device__ __forceinline__ float kiln_fmax(float a, float b) {
              if (a != a || b != b) return a != a ? a : b;
              if (a > b) return a;
              if (b > a) return b;
              return (__float_as_uint(a) >> 31) ? b : a;
            }""");
        yield "kiln_fmax(" + p + ", " + q + ")";
      }
      case MIN -> {
        helpers.put(
            "kiln_fmin",
            """
            static __device__ __forceinline__ float kiln_fmin(float a, float b) {
              if (a != a || b != b) return a != a ? a : b;
              if (a < b) return a;
              if (b < a) return b;
              return (__float_as_uint(a) >> 31) ? a : b;
            }""");
        yield "kiln_fmin(" + p + ", " + q + ")";
      }
      case MOD -> {
        // Python's remainder in double, so that float32 rounds once (kiln_binary_fp).
        helpers.put(
            "kiln_mod",
            """
            static __device__ __noinline__ float kiln_mod(float p, float q) {
              double dp = (double)p, dq = (double)q;
              return (float)(dp - dq * floor(dp / dq));
            }""");
        yield "kiln_mod(" + p + ", " + q + ")";
      }
      case LOGICAL_AND, LOGICAL_OR, LOGICAL_XOR ->
          throw new IllegalArgumentException(fn + " is not fusable");
    };
  }

  /** A call of a math-library op, defined as a helper that is never inlined. */
  private static String library(Map<String, String> helpers, String name, String body, String v) {
    helpers.put(
        name,
        "static __device__ __noinline__ float " + name + "(float v) { return " + body + "; }");
    return name + "(" + v + ")";
  }

  private static String helperText(Collection<String> helpers) {
    StringBuilder b = new StringBuilder();
    for (String h : helpers) {
      b.append(h).append('\n');
    }
    return b.toString();
  }

  /**
   * One translation unit defining {@code kernels}: the helpers they use, once each, then each
   * distinct kernel.
   */
  public static String source(Collection<Kernel> kernels) {
    Map<String, String> helpers = new TreeMap<>();
    Map<String, String> bodies = new LinkedHashMap<>();
    for (Kernel k : kernels) {
      helpers.putAll(k.helpers());
      bodies.putIfAbsent(k.name(), k.body());
    }
    StringBuilder b = new StringBuilder();
    b.append("// Kiln's fused elementwise kernels, generated from the IR by FusedElementwise.\n");
    b.append(helperText(helpers.values()));
    for (String body : bodies.values()) {
      b.append(body);
    }
    return b.toString();
  }

  private static String hash(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks SHA-256", e);
    }
  }
}
