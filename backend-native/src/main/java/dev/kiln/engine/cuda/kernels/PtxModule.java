package dev.kiln.engine.cuda.kernels;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One PTX module as text, with its header and the {@code .entry} points it defines, parsed once.
 *
 * @param name the module's name (its source file without {@code .cu})
 * @param text the PTX text, as the driver's module loader takes it
 * @param version the PTX ISA version ({@code .version})
 * @param target the target architecture ({@code .target}, e.g. {@code sm_75})
 * @param entries the kernels by name, in file order
 */
public record PtxModule(
    String name, String text, String version, String target, Map<String, Entry> entries) {

  /**
   * A declared parameter: its PTX type, size and alignment ({@code .param .align 8 .b8 p[328]} is
   * type {@code b8}, 328 bytes, aligned to 8; {@code .param .u64 p} is {@code u64}, 8, 8).
   *
   * @param type the PTX type without the dot
   * @param bytes the size in bytes
   * @param align the alignment in bytes
   */
  public record Param(String type, int bytes, int align) {}

  /**
   * A kernel entry point.
   *
   * @param name the entry's name
   * @param params its parameters in order
   */
  public record Entry(String name, List<Param> params) {}

  private static final Pattern VERSION = Pattern.compile("(?m)^\\.version\\s+(\\S+)");
  private static final Pattern TARGET = Pattern.compile("(?m)^\\.target\\s+(\\S+)");
  private static final Pattern ENTRY =
      Pattern.compile("(?m)^\\.visible\\s+\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
  private static final Pattern PARAM =
      Pattern.compile(
          "\\.param\\s+(?:\\.align\\s+(\\d+)\\s+)?\\.([a-z]+)(\\d+)\\s+\\w+(?:\\[(\\d+)\\])?");

  /**
   * Parses PTX text.
   *
   * @param name the module's name, for messages
   * @param text the PTX
   * @throws IllegalArgumentException when the text lacks {@code .version}, {@code .target} or any
   *     entry, or a parameter declaration is not understood; the message names the module
   */
  public static PtxModule parse(String name, String text) {
    String version = header(name, text, VERSION, ".version");
    String target = header(name, text, TARGET, ".target");
    Map<String, Entry> entries = new LinkedHashMap<>();
    Matcher m = ENTRY.matcher(text);
    while (m.find()) {
      List<Param> params = new ArrayList<>();
      String list = m.group(2).trim();
      if (!list.isEmpty()) {
        for (String decl : list.split(",")) {
          Matcher p = PARAM.matcher(decl.trim());
          if (!p.matches()) {
            throw new IllegalArgumentException(
                "PTX module '"
                    + name
                    + "', entry "
                    + m.group(1)
                    + ": cannot read parameter '"
                    + decl.trim()
                    + "'");
          }
          int bits = Integer.parseInt(p.group(3));
          String type = p.group(2) + bits;
          int count = p.group(4) == null ? 1 : Integer.parseInt(p.group(4));
          int size = bits / 8 * count;
          int align = p.group(1) == null ? bits / 8 : Integer.parseInt(p.group(1));
          params.add(new Param(type, size, align));
        }
      }
      entries.put(m.group(1), new Entry(m.group(1), List.copyOf(params)));
    }
    if (entries.isEmpty()) {
      throw new IllegalArgumentException("PTX module '" + name + "' defines no .entry");
    }
    return new PtxModule(name, text, version, target, Collections.unmodifiableMap(entries));
  }

  private static String header(String name, String text, Pattern p, String what) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      throw new IllegalArgumentException("PTX module '" + name + "' has no " + what + " line");
    }
    return m.group(1);
  }
}
