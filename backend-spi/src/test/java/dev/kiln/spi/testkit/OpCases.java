package dev.kiln.spi.testkit;

import static dev.kiln.spi.DType.BFLOAT16;
import static dev.kiln.spi.DType.BOOL;
import static dev.kiln.spi.DType.FLOAT16;
import static dev.kiln.spi.DType.FLOAT32;
import static dev.kiln.spi.DType.FLOAT64;
import static dev.kiln.spi.DType.INT32;
import static dev.kiln.spi.DType.INT64;
import static dev.kiln.spi.DType.INT8;
import static dev.kiln.spi.DType.UINT8;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.ArgFn;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.ConvSpec;
import dev.kiln.spi.ir.ConvolutionOp;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Padding;
import dev.kiln.spi.ir.PoolFn;
import dev.kiln.spi.ir.PoolSpec;
import dev.kiln.spi.ir.PoolingOp;
import dev.kiln.spi.ir.ReduceFn;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.BiFunction;

/**
 * The forward cases of the conformance kit: every op at awkward sizes and in each dtype it
 * supports. Float32 runs every size; the other dtypes run a smaller set, since their kernels share
 * float32's loop structure and differ in load, store and arithmetic.
 */
public final class OpCases {
  /** Lengths that hit every vector-body, vector-tail and scalar-tail combination. */
  public static final int[] SIZES = {1, 3, 7, 16, 17, 33, 255, 1023};

  static final int[] FEW = {7, 33};
  static final DType[] FLOATS = {FLOAT32, FLOAT64, FLOAT16, BFLOAT16};
  static final DType[] INTS = {INT8, UINT8, INT32, INT64};
  static final DType[] ALL = DType.values();

  private OpCases() {}

  /** Every forward case. */
  public static List<OpCase> all() {
    List<OpCase> c = new ArrayList<>();
    unary(c);
    binary(c);
    compareAndSelect(c);
    casts(c);
    reductions(c);
    matmul(c);
    convolution(c);
    pooling(c);
    shapeOps(c);
    gatherScatter(c);
    sources(c);
    scan(c);
    composites(c);
    return c;
  }

  // ---------------------------------------------------------------- helpers

  static String tag(Shape... shapes) {
    StringBuilder b = new StringBuilder();
    for (Shape s : shapes) {
      if (!b.isEmpty()) {
        b.append('_');
      }
      int[] d = s.dims();
      if (d.length == 0) {
        b.append("scalar");
      }
      for (int i = 0; i < d.length; i++) {
        b.append(i > 0 ? "x" : "").append(d[i]);
      }
    }
    return b.toString();
  }

  static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  static OpCase two(
      String op,
      DType d,
      Shape s1,
      Shape s2,
      Domain d1,
      Domain d2,
      BiFunction<GraphBuilder, List<Value>, List<Value>> f) {
    return new OpCase(
        "forward." + op + "." + d + "." + tag(s1, s2),
        List.of(new TensorType(d, s1), new TensorType(d, s2)),
        List.of(d1, d2),
        f,
        1);
  }

  static OpCase many(
      String name,
      List<TensorType> types,
      List<Domain> doms,
      BiFunction<GraphBuilder, List<Value>, List<Value>> f) {
    return new OpCase("forward." + name, types, doms, f, 1);
  }

  // ---------------------------------------------------------------- elementwise

  static Domain unaryDomain(UnaryFn fn) {
    return switch (fn) {
      case LOG, LOG1P, SQRT, RSQRT -> Domain.POSITIVE;
      case RECIPROCAL -> Domain.NONZERO;
      default -> Domain.ANY;
    };
  }

  static void unary(List<OpCase> c) {
    for (UnaryFn fn : UnaryFn.values()) {
      if (fn == UnaryFn.LOGICAL_NOT) {
        for (int n : SIZES) {
          c.add(unaryCase(fn, BOOL, n));
        }
        continue;
      }
      for (int n : SIZES) {
        c.add(unaryCase(fn, FLOAT32, n));
      }
      for (DType d : new DType[] {FLOAT64, FLOAT16, BFLOAT16}) {
        for (int n : FEW) {
          c.add(unaryCase(fn, d, n));
        }
      }
      if (!fn.floatOnly()) {
        for (DType d : INTS) {
          for (int n : FEW) {
            c.add(unaryCase(fn, d, n));
          }
        }
      }
    }
  }

  private static OpCase unaryCase(UnaryFn fn, DType d, int n) {
    return new OpCase(
        "forward." + lower(fn) + "." + d + "." + n,
        List.of(new TensorType(d, Shape.of(n))),
        List.of(unaryDomain(fn)),
        (b, in) -> List.of(b.unary(fn, in.get(0))),
        1);
  }

  static void binary(List<OpCase> c) {
    BinaryFn[] numeric = {
      BinaryFn.ADD,
      BinaryFn.SUB,
      BinaryFn.MUL,
      BinaryFn.DIV,
      BinaryFn.POW,
      BinaryFn.MAX,
      BinaryFn.MIN,
      BinaryFn.MOD
    };
    Shape[][] broadcasts = {
      {Shape.of(3, 1, 5), Shape.of(4, 1)},
      {Shape.scalar(), Shape.of(7)},
      {Shape.of(17, 1), Shape.of(1, 33)},
      {Shape.of(2, 3, 17), Shape.of(17)}
    };
    for (BinaryFn fn : numeric) {
      Domain da = fn == BinaryFn.POW ? Domain.POSITIVE : Domain.ANY;
      Domain db = fn == BinaryFn.DIV || fn == BinaryFn.MOD ? Domain.NONZERO : Domain.ANY;
      BiFunction<GraphBuilder, List<Value>, List<Value>> f =
          (b, in) -> List.of(b.binary(fn, in.get(0), in.get(1)));
      for (int n : SIZES) {
        c.add(two(lower(fn), FLOAT32, Shape.of(n), Shape.of(n), da, db, f));
      }
      for (Shape[] s : broadcasts) {
        c.add(two(lower(fn), FLOAT32, s[0], s[1], da, db, f));
      }
      for (DType d : new DType[] {FLOAT64, FLOAT16, BFLOAT16}) {
        for (int n : FEW) {
          c.add(two(lower(fn), d, Shape.of(n), Shape.of(n), da, db, f));
        }
      }
      if (fn != BinaryFn.POW) {
        for (DType d : INTS) {
          for (int n : FEW) {
            c.add(two(lower(fn), d, Shape.of(n), Shape.of(n), da, db, f));
          }
          c.add(two(lower(fn), d, broadcasts[0][0], broadcasts[0][1], da, db, f));
        }
      }
    }
    for (BinaryFn fn :
        new BinaryFn[] {BinaryFn.LOGICAL_AND, BinaryFn.LOGICAL_OR, BinaryFn.LOGICAL_XOR}) {
      BiFunction<GraphBuilder, List<Value>, List<Value>> f =
          (b, in) -> List.of(b.binary(fn, in.get(0), in.get(1)));
      for (int n : SIZES) {
        c.add(two(lower(fn), BOOL, Shape.of(n), Shape.of(n), Domain.ANY, Domain.ANY, f));
      }
      c.add(two(lower(fn), BOOL, broadcasts[0][0], broadcasts[0][1], Domain.ANY, Domain.ANY, f));
    }
  }

  static void compareAndSelect(List<OpCase> c) {
    for (CompareFn fn : CompareFn.values()) {
      BiFunction<GraphBuilder, List<Value>, List<Value>> f =
          (b, in) -> List.of(b.compare(fn, in.get(0), in.get(1)));
      for (int n : SIZES) {
        c.add(two(lower(fn), FLOAT32, Shape.of(n), Shape.of(n), Domain.COARSE, Domain.COARSE, f));
      }
      c.add(
          two(
              lower(fn),
              FLOAT32,
              Shape.of(3, 1, 5),
              Shape.of(4, 1),
              Domain.COARSE,
              Domain.COARSE,
              f));
      for (DType d : ALL) {
        if (d != FLOAT32) {
          c.add(two(lower(fn), d, Shape.of(33), Shape.of(33), Domain.COARSE, Domain.COARSE, f));
        }
      }
    }
    for (DType d : ALL) {
      for (int n : d == FLOAT32 ? SIZES : FEW) {
        c.add(
            many(
                "select." + d + "." + n,
                List.of(TensorType.of(BOOL, n), TensorType.of(d, n), TensorType.of(d, n)),
                List.of(Domain.ANY, Domain.ANY, Domain.ANY),
                (b, in) -> List.of(b.select(in.get(0), in.get(1), in.get(2)))));
      }
    }
    c.add(
        many(
            "select.float32.broadcast_4x1_3x1x5_scalar",
            List.of(
                TensorType.of(BOOL, 4, 1), TensorType.of(FLOAT32, 3, 1, 5), TensorType.of(FLOAT32)),
            List.of(Domain.ANY, Domain.ANY, Domain.ANY),
            (b, in) -> List.of(b.select(in.get(0), in.get(1), in.get(2)))));
  }

  static void casts(List<OpCase> c) {
    // Values well past int8's range, so narrowing and saturation are both exercised.
    Domain wide = Domain.range(-300, 300);
    for (DType from : ALL) {
      for (DType to : ALL) {
        if (from == to) {
          continue;
        }
        c.add(
            new OpCase(
                "forward.cast." + from + "_to_" + to + ".33",
                List.of(TensorType.of(from, 33)),
                List.of(from.isInteger() ? Domain.ints(-300, 300) : wide),
                (b, in) -> List.of(b.cast(in.get(0), to)),
                1));
      }
    }
  }

  // ---------------------------------------------------------------- reductions

  static void reductions(List<OpCase> c) {
    record R(Shape shape, int[] axes) {}
    List<R> configs =
        List.of(
            new R(Shape.of(1023), new int[] {0}),
            new R(Shape.of(1), new int[] {0}),
            new R(Shape.of(3, 7, 17), new int[] {0, 1, 2}),
            new R(Shape.of(3, 7, 17), new int[] {0}),
            new R(Shape.of(3, 7, 17), new int[] {-1}),
            new R(Shape.of(3, 7, 17), new int[] {0, 2}),
            new R(Shape.of(16, 33), new int[] {1}),
            new R(Shape.of(255, 3), new int[] {0}));
    for (ReduceFn fn : ReduceFn.values()) {
      Domain dom = fn == ReduceFn.PROD ? Domain.range(0.8, 1.25) : Domain.ANY;
      for (R r : configs) {
        for (boolean keep : new boolean[] {false, true}) {
          int terms = count(r.shape(), r.axes());
          c.add(
              new OpCase(
                      "forward.reduce_"
                          + lower(fn)
                          + "."
                          + FLOAT32
                          + "."
                          + tag(r.shape())
                          + ".axes"
                          + axesTag(r.axes())
                          + (keep ? ".keep" : ""),
                      List.of(new TensorType(FLOAT32, r.shape())),
                      List.of(dom),
                      (b, in) -> List.of(b.reduce(fn, in.get(0), r.axes(), keep)),
                      1)
                  .terms(terms));
        }
      }
      List<DType> others = new ArrayList<>(List.of(FLOAT64, FLOAT16, BFLOAT16));
      if (fn != ReduceFn.MEAN) {
        others.addAll(List.of(INTS));
      }
      for (DType d : others) {
        R r = configs.get(5);
        Domain dd = fn == ReduceFn.PROD && d.isInteger() ? Domain.ints(-1, 3) : dom;
        Shape shape = fn == ReduceFn.PROD && d.isInteger() ? Shape.of(3, 4, 5) : r.shape();
        c.add(
            new OpCase(
                    "forward.reduce_"
                        + lower(fn)
                        + "."
                        + d
                        + "."
                        + tag(shape)
                        + ".axes"
                        + axesTag(r.axes()),
                    List.of(new TensorType(d, shape)),
                    List.of(dd),
                    (b, in) -> List.of(b.reduce(fn, in.get(0), r.axes(), false)),
                    1)
                .terms(count(shape, r.axes())));
      }
    }
    for (ArgFn fn : ArgFn.values()) {
      for (DType d : new DType[] {FLOAT32, FLOAT64, INT32, INT8}) {
        for (int axis : new int[] {0, 1}) {
          for (boolean keep : new boolean[] {false, true}) {
            c.add(
                new OpCase(
                    "forward." + lower(fn) + "." + d + ".7x33.axis" + axis + (keep ? ".keep" : ""),
                    List.of(TensorType.of(d, 7, 33)),
                    List.of(Domain.COARSE),
                    (b, in) -> List.of(b.argReduce(fn, in.get(0), axis, keep)),
                    1));
          }
        }
      }
    }
  }

  static int count(Shape s, int[] axes) {
    int n = 1;
    for (int a : axes) {
      n *= s.dim(a);
    }
    return n;
  }

  static String axesTag(int[] axes) {
    StringBuilder b = new StringBuilder();
    for (int a : axes) {
      b.append('_').append(a < 0 ? "m" + (-a) : Integer.toString(a));
    }
    return b.toString();
  }

  // ---------------------------------------------------------------- matmul

  static void matmul(List<OpCase> c) {
    int[][] mkn = {
      {1, 1, 1},
      {3, 7, 16},
      {17, 33, 7},
      {16, 16, 16},
      {33, 17, 3},
      {7, 255, 3},
      {2, 1023, 2},
      {1, 17, 33},
      // Several row blocks, column panels and depth blocks of a blocked GEMM, with ragged edges.
      {203, 1100, 70}
    };
    for (int[] s : mkn) {
      c.add(matmulCase(FLOAT32, Shape.of(s[0], s[1]), Shape.of(s[1], s[2]), false, false));
    }
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        Shape a = ta ? Shape.of(17, 7) : Shape.of(7, 17);
        Shape b = tb ? Shape.of(3, 17) : Shape.of(17, 3);
        c.add(matmulCase(FLOAT32, a, b, ta, tb));
        c.add(matmulCase(FLOAT64, a, b, ta, tb));
      }
    }
    c.add(matmulCase(FLOAT32, Shape.of(1100, 203), Shape.of(70, 1100), true, true));
    c.add(matmulCase(FLOAT32, Shape.of(2, 3, 4, 5), Shape.of(5, 6), false, false));
    c.add(matmulCase(FLOAT32, Shape.of(2, 1, 3, 4), Shape.of(1, 5, 4, 2), false, false));
    c.add(matmulCase(FLOAT32, Shape.of(3, 4, 7), Shape.of(3, 5, 7), false, true));
    for (DType d : new DType[] {FLOAT16, BFLOAT16, INT32, INT64, INT8}) {
      c.add(matmulCase(d, Shape.of(7, 5), Shape.of(5, 3), false, false));
    }
  }

  private static OpCase matmulCase(DType d, Shape a, Shape b, boolean ta, boolean tb) {
    int k = a.dim(ta ? -2 : -1);
    Domain dom = d.isInteger() ? Domain.ints(-5, 5) : Domain.ANY;
    return new OpCase(
            "forward.matmul." + d + "." + tag(a, b) + (ta ? ".ta" : "") + (tb ? ".tb" : ""),
            List.of(new TensorType(d, a), new TensorType(d, b)),
            List.of(dom, dom),
            (bb, in) -> List.of(bb.matmul(in.get(0), in.get(1), ta, tb)),
            1)
        .terms(4 * k);
  }

  // ---------------------------------------------------------------- convolution and pooling

  /** A convolution configuration shared by the forward, backward and gradient cases. */
  record ConvConfig(String tag, Shape x, Shape w, ConvSpec spec) {
    Shape y() {
      return new ConvolutionOp.Conv(spec)
          .infer(List.of(new TensorType(FLOAT32, x), new TensorType(FLOAT32, w)))
          .get(0)
          .shape();
    }

    int terms() {
      int t = 1;
      for (int i = 0; i < w.rank() - 1; i++) {
        t *= w.dim(i);
      }
      return t;
    }
  }

  static List<ConvConfig> convConfigs() {
    return List.of(
        new ConvConfig(
            "1d.valid", Shape.of(2, 17, 3), Shape.of(3, 3, 4), ConvSpec.simple(1, Padding.VALID)),
        new ConvConfig(
            "1d.same.stride2.dilation2",
            Shape.of(2, 17, 3),
            Shape.of(3, 3, 4),
            new ConvSpec(new int[] {2}, Padding.SAME, new int[] {2}, 1)),
        new ConvConfig(
            "2d.valid",
            Shape.of(2, 7, 7, 3),
            Shape.of(3, 3, 3, 5),
            ConvSpec.simple(2, Padding.VALID)),
        new ConvConfig(
            "2d.same",
            Shape.of(2, 7, 7, 3),
            Shape.of(3, 3, 3, 5),
            ConvSpec.simple(2, Padding.SAME)),
        new ConvConfig(
            "2d.same.stride2",
            Shape.of(1, 16, 17, 4),
            Shape.of(5, 5, 4, 3),
            new ConvSpec(new int[] {2, 2}, Padding.SAME, new int[] {1, 1}, 1)),
        new ConvConfig(
            "2d.explicit.dilation",
            Shape.of(2, 9, 8, 2),
            Shape.of(3, 2, 2, 3),
            new ConvSpec(
                new int[] {1, 2},
                Padding.explicit(new int[] {2, 1}, new int[] {0, 3}),
                new int[] {2, 1},
                1)),
        new ConvConfig(
            "2d.groups2",
            Shape.of(1, 8, 8, 4),
            Shape.of(3, 3, 2, 6),
            new ConvSpec(new int[] {1, 1}, Padding.SAME, new int[] {1, 1}, 2)),
        new ConvConfig(
            "2d.depthwise",
            Shape.of(2, 7, 9, 3),
            Shape.of(3, 3, 1, 6),
            new ConvSpec(new int[] {2, 1}, Padding.SAME, new int[] {1, 1}, 3)),
        new ConvConfig(
            "2d.depthwise.multiplier1",
            Shape.of(2, 6, 7, 20),
            Shape.of(3, 3, 1, 20),
            new ConvSpec(new int[] {1, 2}, Padding.SAME, new int[] {2, 1}, 20)),
        new ConvConfig(
            "2d.pointwise",
            Shape.of(2, 5, 5, 33),
            Shape.of(1, 1, 33, 17),
            ConvSpec.simple(2, Padding.VALID)),
        new ConvConfig(
            "3d.valid",
            Shape.of(1, 5, 4, 5, 2),
            Shape.of(2, 2, 3, 2, 3),
            ConvSpec.simple(3, Padding.VALID)),
        new ConvConfig(
            "2d.depthwise.multiplier3",
            Shape.of(2, 5, 6, 17),
            Shape.of(3, 2, 1, 51),
            new ConvSpec(new int[] {1, 2}, Padding.SAME, new int[] {1, 1}, 17)));
  }

  static void convolution(List<OpCase> c) {
    for (ConvConfig cc : convConfigs()) {
      for (DType d : List.of(FLOAT32, FLOAT64)) {
        addConvCases(c, cc, d);
      }
    }
    addConvCases(c, convConfigs().get(3), FLOAT16);
    addConvCases(c, convConfigs().get(3), BFLOAT16);
  }

  private static void addConvCases(List<OpCase> c, ConvConfig cc, DType d) {
    c.add(
        many(
                "conv." + d + "." + cc.tag(),
                List.of(new TensorType(d, cc.x()), new TensorType(d, cc.w())),
                List.of(Domain.ANY, Domain.ANY),
                (b, in) -> List.of(b.conv(in.get(0), in.get(1), cc.spec())))
            .terms(4 * cc.terms()));
    c.add(
        many(
                "conv_backprop_input." + d + "." + cc.tag(),
                List.of(new TensorType(d, cc.y()), new TensorType(d, cc.w())),
                List.of(Domain.ANY, Domain.ANY),
                (b, in) -> List.of(b.convBackpropInput(in.get(0), in.get(1), cc.spec(), cc.x())))
            .terms(4 * cc.terms()));
    int outPositions = cc.y().intSize() / cc.y().dim(-1);
    c.add(
        many(
                "conv_backprop_filter." + d + "." + cc.tag(),
                List.of(new TensorType(d, cc.x()), new TensorType(d, cc.y())),
                List.of(Domain.ANY, Domain.ANY),
                (b, in) -> List.of(b.convBackpropFilter(in.get(0), in.get(1), cc.spec(), cc.w())))
            .terms(4 * outPositions));
  }

  /** A pooling configuration shared by the forward, backward and gradient cases. */
  record PoolConfig(String tag, Shape x, PoolSpec spec) {
    Shape y() {
      return new PoolingOp.Pool(PoolFn.MAX, spec)
          .infer(List.of(new TensorType(FLOAT32, x)))
          .get(0)
          .shape();
    }
  }

  static List<PoolConfig> poolConfigs() {
    return List.of(
        new PoolConfig(
            "2d.2x2.valid",
            Shape.of(2, 7, 7, 3),
            new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.VALID)),
        new PoolConfig(
            "2d.2x2.same",
            Shape.of(2, 7, 7, 3),
            new PoolSpec(new int[] {2, 2}, new int[] {2, 2}, Padding.SAME)),
        new PoolConfig(
            "2d.3x3.stride1.same",
            Shape.of(1, 6, 5, 17),
            new PoolSpec(new int[] {3, 3}, new int[] {1, 1}, Padding.SAME)),
        new PoolConfig(
            "1d.3.stride2",
            Shape.of(2, 17, 3),
            new PoolSpec(new int[] {3}, new int[] {2}, Padding.VALID)),
        new PoolConfig(
            "3d.2",
            Shape.of(1, 4, 5, 4, 2),
            new PoolSpec(new int[] {2, 2, 2}, new int[] {2, 2, 2}, Padding.SAME)));
  }

  static void pooling(List<OpCase> c) {
    for (PoolConfig pc : poolConfigs()) {
      for (DType d : List.of(FLOAT32, FLOAT64, FLOAT16, BFLOAT16)) {
        if (d != FLOAT32 && !pc.tag().equals("2d.2x2.same")) {
          continue;
        }
        for (PoolFn fn : PoolFn.values()) {
          c.add(
              many(
                  lower(fn) + "_pool." + d + "." + pc.tag(),
                  List.of(new TensorType(d, pc.x())),
                  List.of(Domain.ANY),
                  (b, in) -> List.of(b.pool(fn, in.get(0), pc.spec()))));
        }
        c.add(
            many(
                "max_pool_backward." + d + "." + pc.tag(),
                List.of(new TensorType(d, pc.x()), new TensorType(d, pc.y())),
                List.of(Domain.ANY, Domain.ANY),
                (b, in) ->
                    List.of(
                        b.emit1(new PoolingOp.MaxPoolBackward(pc.spec()), in.get(0), in.get(1)))));
        c.add(
            many(
                "avg_pool_backward." + d + "." + pc.tag(),
                List.of(new TensorType(d, pc.y())),
                List.of(Domain.ANY),
                (b, in) ->
                    List.of(b.emit1(new PoolingOp.AvgPoolBackward(pc.spec(), pc.x()), in.get(0)))));
      }
    }
  }

  // ---------------------------------------------------------------- shape ops

  static void shapeOps(List<OpCase> c) {
    for (DType d : ALL) {
      c.add(
          many(
              "reshape." + d + ".3x4x5_to_20x3",
              List.of(TensorType.of(d, 3, 4, 5)),
              List.of(Domain.ANY),
              (b, in) -> List.of(b.reshape(in.get(0), Shape.of(20, 3)))));
      c.add(
          many(
              "transpose." + d + ".2x3x4.perm201",
              List.of(TensorType.of(d, 2, 3, 4)),
              List.of(Domain.ANY),
              (b, in) -> List.of(b.transpose(in.get(0), 2, 0, 1))));
      c.add(
          many(
              "broadcast_to." + d + ".3x1_to_2x3x5",
              List.of(TensorType.of(d, 3, 1)),
              List.of(Domain.ANY),
              (b, in) -> List.of(b.broadcastTo(in.get(0), Shape.of(2, 3, 5)))));
      c.add(
          many(
              "slice." + d + ".7x17",
              List.of(TensorType.of(d, 7, 17)),
              List.of(Domain.ANY),
              (b, in) -> List.of(b.slice(in.get(0), new int[] {2, 3}, new int[] {4, 10}))));
      c.add(
          many(
              "strided_slice." + d + ".17x33",
              List.of(TensorType.of(d, 17, 33)),
              List.of(Domain.ANY),
              (b, in) ->
                  List.of(
                      b.stridedSlice(
                          in.get(0), new int[] {1, 2}, new int[] {16, 30}, new int[] {3, 5}))));
      c.add(
          many(
              "concat." + d + ".axis1",
              List.of(TensorType.of(d, 3, 1), TensorType.of(d, 3, 7), TensorType.of(d, 3, 16)),
              List.of(Domain.ANY, Domain.ANY, Domain.ANY),
              (b, in) -> List.of(b.concat(1, in.get(0), in.get(1), in.get(2)))));
      c.add(
          many(
              "pad." + d + ".7x5",
              List.of(TensorType.of(d, 7, 5)),
              List.of(Domain.ANY),
              (b, in) -> List.of(b.pad(in.get(0), new int[] {1, 2}, new int[] {3, 0}, 1))));
    }
    for (int n : SIZES) {
      c.add(
          many(
              "transpose.float32." + n + "x33",
              List.of(TensorType.of(FLOAT32, n, 33)),
              List.of(Domain.ANY),
              (b, in) -> List.of(b.transpose(in.get(0), 1, 0))));
    }
    c.add(
        many(
            "strided_slice.float32.17x33.negative_strides",
            List.of(TensorType.of(FLOAT32, 17, 33)),
            List.of(Domain.ANY),
            (b, in) ->
                List.of(
                    b.stridedSlice(
                        in.get(0), new int[] {16, 32}, new int[] {-1, 3}, new int[] {-2, -3}))));
    c.add(
        many(
            "concat.float32.axis0",
            List.of(TensorType.of(FLOAT32, 1, 5), TensorType.of(FLOAT32, 16, 5)),
            List.of(Domain.ANY, Domain.ANY),
            (b, in) -> List.of(b.concat(0, in.get(0), in.get(1)))));
    c.add(
        many(
            "reshape.float32.1023_to_3x11x31",
            List.of(TensorType.of(FLOAT32, 1023)),
            List.of(Domain.ANY),
            (b, in) -> List.of(b.reshape(in.get(0), Shape.of(3, 11, 31)))));
  }

  static void gatherScatter(List<OpCase> c) {
    for (DType d : ALL) {
      for (DType idx : new DType[] {INT32, INT64}) {
        // Indices run past both ends to check the clamping rule.
        c.add(
            many(
                "gather." + d + ".17x5.axis0." + idx,
                List.of(TensorType.of(d, 17, 5), TensorType.of(idx, 3, 4)),
                List.of(Domain.ANY, Domain.ints(-2, 19)),
                (b, in) -> List.of(b.gather(in.get(0), in.get(1), 0))));
      }
    }
    c.add(
        many(
            "gather.float32.4x17x5.axis1",
            List.of(TensorType.of(FLOAT32, 4, 17, 5), TensorType.of(INT32, 9)),
            List.of(Domain.ANY, Domain.ints(0, 17)),
            (b, in) -> List.of(b.gather(in.get(0), in.get(1), 1))));
    c.add(
        many(
            "gather.float32.17x5.axis1.scalar_index",
            List.of(TensorType.of(FLOAT32, 17, 5), TensorType.of(INT32)),
            List.of(Domain.ANY, Domain.ints(0, 5)),
            (b, in) -> List.of(b.gather(in.get(0), in.get(1), 1))));
    for (DType d : ALL) {
      if (d.isBool()) {
        continue;
      }
      // Repeated indices accumulate; indices out of range are dropped.
      c.add(
          many(
                  "scatter_add." + d + ".17x5.axis0",
                  List.of(
                      TensorType.of(d, 17, 5), TensorType.of(INT32, 33), TensorType.of(d, 33, 5)),
                  List.of(Domain.ANY, Domain.ints(-2, 19), Domain.ANY),
                  (b, in) -> List.of(b.scatterAdd(in.get(0), in.get(1), in.get(2), 0)))
              .terms(8));
    }
    c.add(
        many(
                "scatter_add.float32.4x17x5.axis1",
                List.of(
                    TensorType.of(FLOAT32, 4, 17, 5),
                    TensorType.of(INT64, 3, 2),
                    TensorType.of(FLOAT32, 4, 3, 2, 5)),
                List.of(Domain.ANY, Domain.ints(0, 17), Domain.ANY),
                (b, in) -> List.of(b.scatterAdd(in.get(0), in.get(1), in.get(2), 1)))
            .terms(4));
    for (DType out : new DType[] {FLOAT32, INT32, BOOL}) {
      for (DType idx : new DType[] {INT32, INT64, UINT8}) {
        c.add(
            many(
                "one_hot." + idx + "_to_" + out + ".7x3.depth5",
                List.of(TensorType.of(idx, 7, 3)),
                List.of(Domain.ints(-1, 7)),
                (b, in) -> List.of(b.oneHot(in.get(0), 5, out))));
      }
    }
  }

  // ---------------------------------------------------------------- sources

  static void sources(List<OpCase> c) {
    for (DType d : new DType[] {FLOAT32, INT32, INT64, FLOAT64}) {
      for (int axis : new int[] {0, 1}) {
        c.add(
            many(
                "iota." + d + ".3x17.axis" + axis,
                List.of(),
                List.of(),
                (b, in) -> List.of(b.iota(TensorType.of(d, 3, 17), axis))));
      }
    }
    for (int n : new int[] {1, 7, 1023}) {
      for (DType d : new DType[] {FLOAT32, FLOAT64}) {
        c.add(
            random(
                "random_uniform." + d + "." + n,
                (b, s) -> b.randomUniform(s, TensorType.of(d, n), -1, 3)));
        c.add(
            random(
                "random_normal." + d + "." + n,
                (b, s) -> b.randomNormal(s, TensorType.of(d, n), 0.5, 2)));
      }
      for (DType d : new DType[] {BOOL, FLOAT32, INT32}) {
        c.add(
            random(
                "random_bernoulli." + d + "." + n,
                (b, s) -> b.randomBernoulli(s, TensorType.of(d, n), 0.3)));
      }
    }
  }

  private static OpCase random(String name, BiFunction<GraphBuilder, Value, Value> f) {
    long[][] seeds = {{0, 0}, {42, 7}, {-1, Long.MAX_VALUE}};
    return many(
        name,
        List.of(),
        List.of(),
        (b, in) -> {
          List<Value> out = new ArrayList<>();
          for (long[] s : seeds) {
            out.add(f.apply(b, b.constant(HostTensor.of(Shape.of(2), s))));
          }
          return out;
        });
  }

  // ---------------------------------------------------------------- scan

  /** A running sum with the running value as the per-step output. */
  static dev.kiln.spi.ir.Graph cumsumBody(DType d, int width) {
    GraphBuilder b = new GraphBuilder();
    Value carry = b.input(TensorType.of(d, width));
    Value x = b.input(TensorType.of(d, width));
    Value next = b.add(carry, x);
    return b.output(next, b.mul(next, next)).build();
  }

  /** An Elman RNN cell: {@code h' = tanh(x W + h U + bias)}, emitting {@code h'}. */
  static dev.kiln.spi.ir.Graph rnnBody(DType d, int batch, int in, int units) {
    GraphBuilder b = new GraphBuilder();
    Value h = b.input(TensorType.of(d, batch, units));
    Value x = b.input(TensorType.of(d, batch, in));
    Value w = b.input(TensorType.of(d, in, units));
    Value u = b.input(TensorType.of(d, units, units));
    Value bias = b.input(TensorType.of(d, units));
    Value next = b.tanh(b.add(b.add(b.matmul(x, w), b.matmul(h, u)), bias));
    return b.output(next, next).build();
  }

  static void scan(List<OpCase> c) {
    for (boolean reverse : new boolean[] {false, true}) {
      for (int t : new int[] {1, 7}) {
        c.add(
            many(
                    "scan.cumsum.float32.t" + t + (reverse ? ".reverse" : ""),
                    List.of(TensorType.of(FLOAT32, 3), TensorType.of(FLOAT32, t, 3)),
                    List.of(Domain.ANY, Domain.ANY),
                    (b, in) ->
                        b.scan(
                            cumsumBody(FLOAT32, 3),
                            List.of(in.get(0)),
                            List.of(in.get(1)),
                            List.of(),
                            reverse))
                .terms(t));
      }
    }
    c.add(
        many(
                "scan.rnn.float32.t5",
                List.of(
                    TensorType.of(FLOAT32, 2, 4),
                    TensorType.of(FLOAT32, 5, 2, 3),
                    TensorType.of(FLOAT32, 3, 4),
                    TensorType.of(FLOAT32, 4, 4),
                    TensorType.of(FLOAT32, 4)),
                List.of(
                    Domain.ANY,
                    Domain.ANY,
                    Domain.range(-0.5, 0.5),
                    Domain.range(-0.5, 0.5),
                    Domain.ANY),
                (b, in) ->
                    b.scan(
                        rnnBody(FLOAT32, 2, 3, 4),
                        List.of(in.get(0)),
                        List.of(in.get(1)),
                        List.of(in.get(2), in.get(3), in.get(4)),
                        false))
            .terms(16));
    // A scan with no carries and an integer carry alongside a float one.
    c.add(
        many(
            "scan.int_counter.int32.t4",
            List.of(TensorType.of(INT32), TensorType.of(INT32, 4)),
            List.of(Domain.ints(0, 5), Domain.ints(-5, 5)),
            (b, in) -> {
              GraphBuilder body = new GraphBuilder();
              Value k = body.input(TensorType.of(INT32));
              Value x = body.input(TensorType.of(INT32));
              Value next = body.add(k, x);
              return b.scan(
                  body.output(next, body.mul(next, x)).build(),
                  List.of(in.get(0)),
                  List.of(in.get(1)),
                  List.of(),
                  false);
            }));
  }

  // ---------------------------------------------------------------- composites

  static void composites(List<OpCase> c) {
    for (DType d : new DType[] {FLOAT32, FLOAT64, FLOAT16, BFLOAT16}) {
      int[] sizes = d == FLOAT32 ? SIZES : FEW;
      for (int n : sizes) {
        c.add(
            many(
                    "softmax." + d + ".3x" + n,
                    List.of(TensorType.of(d, 3, n)),
                    List.of(Domain.range(-5, 5)),
                    (b, in) -> List.of(b.softmax(in.get(0), -1)))
                .terms(n));
        c.add(
            many(
                    "log_softmax." + d + ".3x" + n,
                    List.of(TensorType.of(d, 3, n)),
                    List.of(Domain.range(-5, 5)),
                    (b, in) -> List.of(b.logSoftmax(in.get(0), -1)))
                .terms(n));
        c.add(
            many(
                "gelu." + d + "." + n,
                List.of(TensorType.of(d, n)),
                List.of(Domain.range(-4, 4)),
                (b, in) -> List.of(b.gelu(in.get(0), false))));
        c.add(
            many(
                "gelu_tanh." + d + "." + n,
                List.of(TensorType.of(d, n)),
                List.of(Domain.range(-4, 4)),
                (b, in) -> List.of(b.gelu(in.get(0), true))));
        c.add(
            many(
                "silu." + d + "." + n,
                List.of(TensorType.of(d, n)),
                List.of(Domain.range(-4, 4)),
                (b, in) -> List.of(b.silu(in.get(0)))));
        c.add(
            many(
                    "sigmoid_cross_entropy." + d + "." + n,
                    List.of(TensorType.of(d, n), TensorType.of(d, n)),
                    List.of(Domain.range(-30, 30), Domain.range(0, 1)),
                    (b, in) -> List.of(b.sigmoidCrossEntropy(in.get(0), in.get(1))))
                .terms(30));
        c.add(
            many(
                    "softmax_cross_entropy." + d + ".4x" + n,
                    List.of(TensorType.of(d, 4, n), TensorType.of(d, 4, n)),
                    List.of(Domain.range(-5, 5), Domain.range(0, 1)),
                    (b, in) -> List.of(b.softmaxCrossEntropy(in.get(0), in.get(1), -1)))
                .terms(5 * n));
      }
      for (int n : d == FLOAT32 ? new int[] {1, 17, 1023, 4099} : FEW) {
        c.add(
            many(
                    "adam_update." + d + "." + n,
                    List.of(
                        TensorType.of(d, n),
                        TensorType.of(d, n),
                        TensorType.of(d, n),
                        TensorType.of(d, n),
                        TensorType.of(d)),
                    List.of(
                        Domain.ANY,
                        Domain.ANY,
                        Domain.ANY,
                        Domain.POSITIVE,
                        Domain.range(1e-3, 0.1)),
                    (b, in) ->
                        b.adamUpdate(
                            in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), 0.9, 0.999,
                            1e-7))
                .terms(10));
      }
      c.add(
          many(
                  "adam_update." + d + ".3x5.alpha_shape_1",
                  List.of(
                      TensorType.of(d, 3, 5),
                      TensorType.of(d, 3, 5),
                      TensorType.of(d, 3, 5),
                      TensorType.of(d, 3, 5),
                      TensorType.of(d, 1)),
                  List.of(
                      Domain.ANY, Domain.ANY, Domain.ANY, Domain.POSITIVE, Domain.range(1e-3, 0.1)),
                  (b, in) ->
                      b.adamUpdate(
                          in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), 0.8, 0.99, 1e-3))
              .terms(10));
      c.add(
          many(
                  "softmax." + d + ".7x5.axis0",
                  List.of(TensorType.of(d, 7, 5)),
                  List.of(Domain.range(-5, 5)),
                  (b, in) -> List.of(b.softmax(in.get(0), 0)))
              .terms(7));
      c.add(
          many(
                  "logsumexp." + d + ".3x7x5.axes1",
                  List.of(TensorType.of(d, 3, 7, 5)),
                  List.of(Domain.range(-5, 5)),
                  (b, in) -> List.of(b.logSumExp(in.get(0), new int[] {1}, false)))
              .terms(7));
      c.add(
          many(
                  "logsumexp." + d + ".3x7x5.axes0_2.keep",
                  List.of(TensorType.of(d, 3, 7, 5)),
                  List.of(Domain.range(-5, 5)),
                  (b, in) -> List.of(b.logSumExp(in.get(0), new int[] {0, 2}, true)))
              .terms(15));
      c.add(
          many(
                  "batch_norm_training." + d + ".4x5x5x3",
                  List.of(TensorType.of(d, 4, 5, 5, 3), TensorType.of(d, 3), TensorType.of(d, 3)),
                  List.of(Domain.ANY, Domain.ANY, Domain.ANY),
                  (b, in) -> b.batchNormTraining(in.get(0), in.get(1), in.get(2), -1, 1e-3))
              .terms(100));
      for (int axis : new int[] {-1, 1}) {
        c.add(
            many(
                    "batch_norm_training_grad." + d + ".4x5x5x3.axis" + axis,
                    List.of(
                        TensorType.of(d, 4, 5, 5, 3),
                        TensorType.of(d, axis == 1 ? 5 : 3),
                        TensorType.of(d, axis == 1 ? 5 : 3),
                        TensorType.of(d, axis == 1 ? 5 : 3),
                        TensorType.of(d, 4, 5, 5, 3),
                        TensorType.of(d, axis == 1 ? 5 : 3),
                        TensorType.of(d, axis == 1 ? 5 : 3)),
                    List.of(
                        Domain.ANY,
                        Domain.ANY,
                        Domain.ANY,
                        Domain.POSITIVE,
                        Domain.ANY,
                        Domain.ANY,
                        Domain.ANY),
                    (b, in) ->
                        b.batchNormTrainingGrad(
                            in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), in.get(5),
                            in.get(6), axis, 1e-3))
                .terms(100));
      }
      c.add(
          many(
                  "batch_norm_inference." + d + ".4x5x3",
                  List.of(
                      TensorType.of(d, 4, 5, 3),
                      TensorType.of(d, 3),
                      TensorType.of(d, 3),
                      TensorType.of(d, 3),
                      TensorType.of(d, 3)),
                  List.of(Domain.ANY, Domain.ANY, Domain.POSITIVE, Domain.ANY, Domain.ANY),
                  (b, in) ->
                      List.of(
                          b.batchNormInference(
                              in.get(0), in.get(1), in.get(2), in.get(3), in.get(4), -1, 1e-3)))
              .terms(4));
      c.add(
          many(
                  "layer_norm." + d + ".3x7x17.last",
                  List.of(TensorType.of(d, 3, 7, 17), TensorType.of(d, 17), TensorType.of(d, 17)),
                  List.of(Domain.ANY, Domain.ANY, Domain.ANY),
                  (b, in) ->
                      List.of(b.layerNorm(in.get(0), in.get(1), in.get(2), new int[] {-1}, 1e-5)))
              .terms(34));
      c.add(
          many(
                  "layer_norm." + d + ".3x7x17.axes1_2",
                  List.of(
                      TensorType.of(d, 3, 7, 17), TensorType.of(d, 7, 17), TensorType.of(d, 7, 17)),
                  List.of(Domain.ANY, Domain.ANY, Domain.ANY),
                  (b, in) ->
                      List.of(b.layerNorm(in.get(0), in.get(1), in.get(2), new int[] {1, 2}, 1e-5)))
              .terms(240));
      c.add(
          many(
                  "batch_norm_training." + d + ".7x2.axis0",
                  List.of(TensorType.of(d, 7, 2), TensorType.of(d, 7), TensorType.of(d, 7)),
                  List.of(Domain.ANY, Domain.ANY, Domain.ANY),
                  (b, in) -> b.batchNormTraining(in.get(0), in.get(1), in.get(2), 0, 1e-3))
              .terms(8));
    }
  }
}
