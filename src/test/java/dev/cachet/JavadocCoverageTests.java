package dev.cachet;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.source.tree.ClassTree;
import com.sun.source.tree.CompilationUnitTree;
import com.sun.source.tree.Tree;
import com.sun.source.util.JavacTask;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.ExecutableElement;
import javax.lang.model.element.Modifier;
import javax.lang.model.element.PackageElement;
import javax.lang.model.element.TypeElement;
import javax.lang.model.type.DeclaredType;
import javax.lang.model.type.TypeMirror;
import javax.lang.model.util.Elements;
import javax.lang.model.util.Types;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;

/**
 * Every public or protected type and member of the public API (every package but {@code internal} and
 * {@code cli}) has a javadoc comment: the half of doclint's "missing" group that the build's javadoc
 * gate leaves out (it checks errors, references, HTML and syntax; this test checks comments, not
 * individual {@code @param}/{@code @return} tags). Overriding methods inherit their comment.
 */
class JavadocCoverageTests {

  private static final Set<String> NOT_API = Set.of("dev.cachet.internal", "dev.cachet.cli");

  @Test
  void everyPublicApiMember_hasAJavadocComment() throws IOException {
    JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
    List<String> undocumented = new ArrayList<>();
    try (StandardJavaFileManager files = compiler.getStandardFileManager(null, Locale.ROOT, null);
        Stream<Path> paths = Files.walk(Path.of("src/main/java"))) {
      List<File> sources = paths.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).toList();
      Iterable<? extends JavaFileObject> units = files.getJavaFileObjectsFromFiles(sources);
      JavacTask task =
          (JavacTask) compiler.getTask(
              null, files, null,
              List.of("-proc:none", "-cp", System.getProperty("java.class.path"), "-d",
                  Files.createTempDirectory("javadoc-coverage").toString()),
              null, units);
      Elements elements = task.getElements();
      Types types = task.getTypes();
      // parsing and entering is enough for declarations and comments; method bodies are never attributed
      for (CompilationUnitTree unit : task.parse()) {
        String pkg = unit.getPackageName() == null ? "" : unit.getPackageName().toString();
        for (Tree decl : unit.getTypeDecls()) {
          if (decl instanceof ClassTree cls) {
            TypeElement type = elements.getTypeElement(pkg + "." + cls.getSimpleName());
            if (type != null) {
              check(type, elements, types, undocumented);
            }
          }
        }
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    assertThat(undocumented).as("public API members without a javadoc comment").isEmpty();
  }

  private static void check(TypeElement type, Elements elements, Types types, List<String> out) {
    PackageElement pkg = elements.getPackageOf(type);
    if (NOT_API.contains(pkg.getQualifiedName().toString()) || !visible(type)) {
      return;
    }
    if (elements.getDocComment(type) == null) {
      out.add(type.getQualifiedName().toString());
    }
    for (Element member : type.getEnclosedElements()) {
      if (!visible(member) && member.getKind() != ElementKind.ENUM_CONSTANT) {
        continue;
      }
      if (member instanceof TypeElement nested) {
        check(nested, elements, types, out);
        continue;
      }
      if (elements.getOrigin(member) != Elements.Origin.EXPLICIT) {
        continue; // default constructors and other members the compiler adds
      }
      if (member instanceof ExecutableElement method && overrides(method, type, elements, types)) {
        continue;
      }
      if (member.getKind() == ElementKind.RECORD_COMPONENT) {
        continue; // documented by the record's @param tags
      }
      if (type.getKind() == ElementKind.ENUM && isValuesOrValueOf(member)) {
        continue;
      }
      if (type.getKind() == ElementKind.RECORD && isAccessor(type, member)) {
        String recordDoc = elements.getDocComment(type);
        if (elements.getDocComment(member) == null
            && (recordDoc == null || !recordDoc.contains("@param " + member.getSimpleName()))) {
          out.add(type.getQualifiedName() + "#" + member + " (no @param on the record)");
        }
        continue;
      }
      if (elements.getDocComment(member) == null) {
        out.add(type.getQualifiedName() + "#" + member);
      }
    }
  }

  private static boolean isValuesOrValueOf(Element member) {
    if (!(member instanceof ExecutableElement method)) {
      return false;
    }
    String name = method.getSimpleName().toString();
    return (name.equals("values") && method.getParameters().isEmpty())
        || (name.equals("valueOf") && method.getParameters().size() == 1);
  }

  private static boolean isAccessor(TypeElement record, Element member) {
    if (!(member instanceof ExecutableElement method)
        || method.getKind() != ElementKind.METHOD
        || !method.getParameters().isEmpty()) {
      return false;
    }
    return record.getRecordComponents().stream()
        .anyMatch(c -> c.getSimpleName().equals(method.getSimpleName()));
  }

  private static boolean visible(Element e) {
    Set<Modifier> m = e.getModifiers();
    if (m.contains(Modifier.PUBLIC)) {
      return true;
    }
    if (m.contains(Modifier.PROTECTED)) {
      return true;
    }
    // members of interfaces are implicitly public
    Element enclosing = e.getEnclosingElement();
    return enclosing != null
        && (enclosing.getKind() == ElementKind.INTERFACE || enclosing.getKind() == ElementKind.ANNOTATION_TYPE)
        && !m.contains(Modifier.PRIVATE);
  }

  private static boolean overrides(ExecutableElement method, TypeElement type, Elements elements, Types types) {
    if (method.getKind() != ElementKind.METHOD) {
      return false;
    }
    List<TypeMirror> pending = new ArrayList<>(types.directSupertypes(type.asType()));
    while (!pending.isEmpty()) {
      TypeMirror superType = pending.remove(pending.size() - 1);
      if (!(superType instanceof DeclaredType declared)) {
        continue;
      }
      TypeElement superElement = (TypeElement) declared.asElement();
      for (Element candidate : superElement.getEnclosedElements()) {
        if (candidate instanceof ExecutableElement other
            && other.getKind() == ElementKind.METHOD
            && elements.overrides(method, other, type)) {
          return true;
        }
      }
      pending.addAll(types.directSupertypes(superType));
    }
    return false;
  }
}
