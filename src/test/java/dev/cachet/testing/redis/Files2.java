package dev.cachet.testing.redis;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/** File helpers for the harness. */
final class Files2 {
  private Files2() {}

  /** Deletes a directory tree, best effort. */
  static void deleteRecursively(Path root) {
    if (root == null || !Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      // best effort: a leftover temp dir is not worth failing a test for
    }
  }

  /** The last {@code lines} lines of a text file, or a note when it cannot be read. */
  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, java.nio.charset.StandardCharsets.ISO_8859_1);
      List<String> last = new ArrayList<>(all.subList(Math.max(0, all.size() - lines), all.size()));
      return String.join(System.lineSeparator(), last);
    } catch (IOException e) {
      return "(log " + file + " unreadable: " + e + ")";
    }
  }
}
