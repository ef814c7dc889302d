// Loads each OWL file given with the OWL API and reports, one fact a line, each line starting with the file's name and
// a tab: its OWL 2 DL profile violations (the OWL API's own profile checker), then for HermiT and for Pellet whether
// the ontology is consistent and which classes are unsatisfiable. Run by tests/test_owl_dl.py as
// `java -cp JARS OwlCheck.java FILE...` with the OWL API 3, HermiT and Pellet jars that owlready2 (PyPI) ships.
// One JVM for all files: starting Java and compiling this file costs more than checking a file.
import java.io.File;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.MissingImportHandlingStrategy;
import org.semanticweb.owlapi.model.OWLClass;
import org.semanticweb.owlapi.model.OWLOntology;
import org.semanticweb.owlapi.model.OWLOntologyLoaderConfiguration;
import org.semanticweb.owlapi.model.OWLOntologyManager;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.profiles.OWL2DLProfile;
import org.semanticweb.owlapi.profiles.OWLProfileViolation;
import org.semanticweb.owlapi.reasoner.OWLReasoner;
import org.semanticweb.owlapi.reasoner.OWLReasonerFactory;

public class OwlCheck {
    public static void main(String[] args) throws Exception {
        for (String path : args) {
            check(path);
        }
    }

    private static void check(String path) throws Exception {
        OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
        OWLOntologyLoaderConfiguration config = new OWLOntologyLoaderConfiguration()
            .setMissingImportHandlingStrategy(MissingImportHandlingStrategy.SILENT);
        OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new FileDocumentSource(new File(path)), config);
        String prefix = new File(path).getName() + "\t";
        List<String> lines = new ArrayList<>();
        for (OWLProfileViolation violation : new OWL2DLProfile().checkOntology(ontology).getViolations()) {
            lines.add("profile-violation\t" + violation.getClass().getSimpleName() + "\t"
                + violation.toString().replace('\n', ' ').replace('\t', ' '));
        }
        Collections.sort(lines);
        for (String line : lines) {
            System.out.println(prefix + line);
        }
        report(prefix, "hermit", new org.semanticweb.HermiT.Reasoner.ReasonerFactory(), ontology);
        report(prefix, "pellet", com.clarkparsia.pellet.owlapiv3.PelletReasonerFactory.getInstance(), ontology);
        System.out.println(prefix + "axioms\t" + ontology.getAxiomCount());
    }

    private static void report(String prefix, String name, OWLReasonerFactory factory, OWLOntology ontology) {
        OWLReasoner reasoner = factory.createNonBufferingReasoner(ontology);
        boolean consistent = reasoner.isConsistent();
        System.out.println(prefix + name + "\t" + (consistent ? "consistent" : "inconsistent"));
        if (consistent) {
            List<String> unsatisfiable = new ArrayList<>();
            for (OWLClass owlClass : reasoner.getUnsatisfiableClasses().getEntitiesMinusBottom()) {
                unsatisfiable.add(owlClass.getIRI().toString());
            }
            Collections.sort(unsatisfiable);
            for (String iri : unsatisfiable) {
                System.out.println(prefix + name + "-unsatisfiable\t" + iri);
            }
        }
        reasoner.dispose();
    }
}
