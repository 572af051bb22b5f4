import type { Sql } from 'postgres';
import { applyTaxonomySeed, type CodeRow, type ContentTypeRow, type GroupRow, type TaxonomySeedRows } from '../../storage/content/taxonomy-writes.js';
import { DEFAULT_GROUP_SYSTEM, DYNAMIC_GROUP } from './taxonomy.js';

/**
 * Fhirkeep's own seed taxonomy (written for Fhirkeep from the LOINC, SNOMED CT, RxNorm and CVX
 * codes records commonly carry, e.g. Synthea's). It is data applied at start rather than a
 * migration because it grows with releases independently of the schema and is read by code
 * (tests, docs), and because a seed must never undo an admin's edits: each release's additions
 * carry the seed version they came with, and a database applies each version once
 * (`content_seed`), so what an admin deleted or relabelled stays so.
 */
export const SEED_VERSION = 1;

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const CVX = 'http://hl7.org/fhir/sid/cvx';

type Code = readonly [code: string, display: string];
interface SeedContent {
  readonly name: string;
  readonly label: string;
  readonly resourceType: string;
  readonly system: string;
  readonly codes: readonly Code[];
}
interface SeedGroup {
  readonly name: string;
  readonly label: string;
  readonly parent?: string;
  /** Content types: seeded ones by name, or resource types (their own default content). */
  readonly contents: readonly string[];
}

const obs = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'Observation', system: LOINC, codes });
const report = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'DiagnosticReport', system: LOINC, codes });
const condition = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'Condition', system: SNOMED, codes });
const allergy = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'AllergyIntolerance', system: SNOMED, codes });
const vaccine = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'Immunization', system: CVX, codes });
const medication = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'MedicationRequest', system: RXNORM, codes });
const document = (name: string, label: string, ...codes: Code[]): SeedContent => ({ name, label, resourceType: 'DocumentReference', system: LOINC, codes });

const VITAL_SIGNS = [
  obs('body/bloodpressure', 'Blood pressure', ['85354-9', 'Blood pressure panel'], ['55284-4', 'Blood pressure systolic and diastolic'], ['8480-6', 'Systolic blood pressure'], ['8462-4', 'Diastolic blood pressure']),
  obs('body/heartrate', 'Heart rate', ['8867-4', 'Heart rate']),
  obs('body/respiratoryrate', 'Respiratory rate', ['9279-1', 'Respiratory rate']),
  obs('body/temperature', 'Body temperature', ['8310-5', 'Body temperature'], ['8331-1', 'Oral temperature']),
  obs('body/oxygensaturation', 'Oxygen saturation', ['59408-5', 'Oxygen saturation by pulse oximetry'], ['2708-6', 'Oxygen saturation in arterial blood']),
  obs('body/pain', 'Pain severity', ['72514-3', 'Pain severity 0-10 reported']),
];
const BODY_MEASUREMENTS = [
  obs('body/weight', 'Body weight', ['29463-7', 'Body weight'], ['3141-9', 'Body weight measured']),
  obs('body/height', 'Body height', ['8302-2', 'Body height'], ['8306-3', 'Body height lying']),
  obs('body/bmi', 'Body mass index', ['39156-5', 'Body mass index']),
  obs('body/headcircumference', 'Head circumference', ['9843-4', 'Head occipital-frontal circumference']),
  obs('body/waist', 'Waist circumference', ['8280-0', 'Waist circumference']),
];
const FITNESS = [
  obs('fitness/steps', 'Steps', ['55423-8', 'Number of steps (pedometer)'], ['41950-7', 'Number of steps in 24 hours']),
  obs('fitness/distance', 'Walking distance', ['41953-1', 'Walking distance in 24 hours']),
  obs('fitness/calories', 'Calories burned', ['41981-2', 'Calories burned']),
  obs('fitness/exercise', 'Exercise duration', ['55411-3', 'Exercise duration']),
  obs('fitness/sleep', 'Sleep duration', ['93832-4', 'Sleep duration']),
];
const SOCIAL_HISTORY = [obs('social/smoking', 'Tobacco smoking status', ['72166-2', 'Tobacco smoking status']), obs('social/housing', 'Housing status', ['71802-3', 'Housing status'])];
const GLUCOSE = [
  obs('lab/glucose', 'Glucose', ['2339-0', 'Glucose in blood'], ['2345-7', 'Glucose in serum or plasma'], ['15074-8', 'Glucose in blood (moles/volume)']),
  obs('lab/hba1c', 'Hemoglobin A1c', ['4548-4', 'Hemoglobin A1c/Hemoglobin total in blood'], ['17856-6', 'Hemoglobin A1c by HPLC']),
];
const LIPIDS = [
  obs('lab/cholesterol', 'Total cholesterol', ['2093-3', 'Cholesterol in serum or plasma']),
  obs('lab/hdl', 'HDL cholesterol', ['2085-9', 'HDL cholesterol']),
  obs('lab/ldl', 'LDL cholesterol', ['18262-6', 'LDL cholesterol (direct assay)'], ['13457-7', 'LDL cholesterol (calculated)'], ['2089-1', 'LDL cholesterol']),
  obs('lab/triglycerides', 'Triglycerides', ['2571-8', 'Triglycerides in serum or plasma']),
];
const HEMATOLOGY = [
  obs('lab/hemoglobin', 'Hemoglobin', ['718-7', 'Hemoglobin in blood']),
  obs('lab/hematocrit', 'Hematocrit', ['4544-3', 'Hematocrit by automated count'], ['20570-8', 'Hematocrit']),
  obs('lab/leukocytes', 'White blood cells', ['6690-2', 'Leukocytes in blood by automated count']),
  obs('lab/erythrocytes', 'Red blood cells', ['789-8', 'Erythrocytes in blood by automated count']),
  obs('lab/platelets', 'Platelets', ['777-3', 'Platelets in blood by automated count']),
  obs('lab/mcv', 'Mean corpuscular volume', ['787-2', 'MCV by automated count']),
  obs('lab/mch', 'Mean corpuscular hemoglobin', ['785-6', 'MCH by automated count']),
  obs('lab/mchc', 'Mean corpuscular hemoglobin concentration', ['786-4', 'MCHC by automated count']),
  obs('lab/rdw', 'Red cell distribution width', ['21000-5', 'Erythrocyte distribution width by automated count']),
  obs('lab/platelet-volume', 'Platelet volume and distribution', ['32623-1', 'Platelet mean volume'], ['32207-3', 'Platelet distribution width']),
];
const CHEMISTRY = [
  obs('lab/creatinine', 'Creatinine', ['2160-0', 'Creatinine in serum or plasma'], ['38483-4', 'Creatinine in blood']),
  obs('lab/urea', 'Urea nitrogen', ['6299-2', 'Urea nitrogen in blood'], ['3094-0', 'Urea nitrogen in serum or plasma']),
  obs('lab/egfr', 'Glomerular filtration rate', ['33914-3', 'eGFR (MDRD)'], ['62238-1', 'eGFR (CKD-EPI)']),
  obs('lab/sodium', 'Sodium', ['2947-0', 'Sodium in blood'], ['2951-2', 'Sodium in serum or plasma']),
  obs('lab/potassium', 'Potassium', ['6298-4', 'Potassium in blood'], ['2823-3', 'Potassium in serum or plasma']),
  obs('lab/chloride', 'Chloride', ['2069-3', 'Chloride in blood'], ['2075-0', 'Chloride in serum or plasma']),
  obs('lab/bicarbonate', 'Carbon dioxide', ['20565-8', 'Carbon dioxide in blood'], ['2028-9', 'Carbon dioxide in serum or plasma']),
  obs('lab/calcium', 'Calcium', ['49765-1', 'Calcium in blood'], ['17861-6', 'Calcium in serum or plasma']),
  obs('lab/protein', 'Total protein', ['2885-2', 'Protein in serum or plasma']),
  obs('lab/albumin', 'Albumin', ['1751-7', 'Albumin in serum or plasma']),
  obs('lab/globulin', 'Globulin', ['10834-0', 'Globulin in serum (calculated)']),
  obs('lab/bilirubin', 'Total bilirubin', ['1975-2', 'Bilirubin total in serum or plasma']),
  obs('lab/alp', 'Alkaline phosphatase', ['6768-6', 'Alkaline phosphatase in serum or plasma']),
  obs('lab/alt', 'Alanine aminotransferase', ['1742-6', 'ALT in serum or plasma']),
  obs('lab/ast', 'Aspartate aminotransferase', ['1920-8', 'AST in serum or plasma']),
  obs('lab/tsh', 'Thyrotropin', ['3016-3', 'TSH in serum or plasma']),
  obs('lab/psa', 'Prostate specific antigen', ['2857-1', 'PSA in serum or plasma']),
  obs('lab/ntprobnp', 'NT-proBNP', ['33762-6', 'NT-proBNP in serum or plasma']),
];
const LAB_REPORTS = [
  report('report/lipid-panel', 'Lipid panel', ['57698-3', 'Lipid panel']),
  report('report/cbc', 'Complete blood count', ['58410-2', 'CBC panel by automated count']),
  report('report/basic-metabolic', 'Basic metabolic panel', ['51990-0', 'Basic metabolic panel']),
  report('report/comprehensive-metabolic', 'Comprehensive metabolic panel', ['24323-8', 'Comprehensive metabolic panel']),
  report('report/urinalysis', 'Urinalysis', ['24357-6', 'Urinalysis dipstick panel']),
];
const CARDIOVASCULAR = [
  condition('condition/hypertension', 'Hypertension', ['38341003', 'Hypertension'], ['59621000', 'Essential hypertension']),
  condition('condition/coronary-heart-disease', 'Coronary heart disease', ['53741008', 'Coronary heart disease']),
  condition('condition/myocardial-infarction', 'Myocardial infarction', ['22298006', 'Myocardial infarction']),
  condition('condition/atrial-fibrillation', 'Atrial fibrillation', ['49436004', 'Atrial fibrillation']),
  condition('condition/heart-failure', 'Heart failure', ['84114007', 'Heart failure'], ['88805009', 'Chronic congestive heart failure']),
  condition('condition/stroke', 'Stroke', ['230690007', 'Stroke']),
];
const METABOLIC = [
  condition('condition/diabetes-type-2', 'Diabetes mellitus type 2', ['44054006', 'Diabetes mellitus type 2']),
  condition('condition/diabetes-type-1', 'Diabetes mellitus type 1', ['46635009', 'Diabetes mellitus type 1']),
  condition('condition/prediabetes', 'Prediabetes', ['15777000', 'Prediabetes']),
  condition('condition/hyperlipidemia', 'Hyperlipidemia', ['55822004', 'Hyperlipidemia']),
  condition('condition/obesity', 'Obesity', ['414916001', 'Obesity'], ['162864005', 'Body mass index 30+ - obesity']),
  condition('condition/anemia', 'Anemia', ['271737000', 'Anemia']),
];
const RESPIRATORY = [
  condition('condition/asthma', 'Asthma', ['195967001', 'Asthma']),
  condition('condition/copd', 'Chronic obstructive pulmonary disease', ['13645005', 'Chronic obstructive lung disease'], ['185086009', 'Chronic obstructive bronchitis']),
  condition('condition/sinusitis', 'Sinusitis', ['36971009', 'Sinusitis'], ['444814009', 'Viral sinusitis'], ['40055000', 'Chronic sinusitis'], ['75498004', 'Acute bacterial sinusitis']),
  condition('condition/bronchitis', 'Acute bronchitis', ['10509002', 'Acute bronchitis']),
  condition('condition/pharyngitis', 'Pharyngitis', ['195662009', 'Acute viral pharyngitis'], ['43878008', 'Streptococcal sore throat']),
  condition('condition/pneumonia', 'Pneumonia', ['233604007', 'Pneumonia']),
];
const OTHER_CONDITIONS = [
  condition('condition/osteoarthritis', 'Osteoarthritis', ['239873007', 'Osteoarthritis of knee'], ['239872002', 'Osteoarthritis of hip']),
  condition('condition/rheumatoid-arthritis', 'Rheumatoid arthritis', ['69896004', 'Rheumatoid arthritis']),
  condition('condition/osteoporosis', 'Osteoporosis', ['64859006', 'Osteoporosis']),
  condition('condition/chronic-pain', 'Chronic pain', ['82423001', 'Chronic pain']),
  condition('condition/alzheimers', "Alzheimer's disease", ['26929004', "Alzheimer's disease"]),
  condition('condition/epilepsy', 'Epilepsy and seizures', ['84757009', 'Epilepsy'], ['128613002', 'Seizure disorder']),
  condition('condition/migraine', 'Migraine', ['124171000119105', 'Chronic intractable migraine without aura']),
  condition('condition/depression', 'Depression', ['35489007', 'Depressive disorder'], ['370143000', 'Major depressive disorder']),
  condition('condition/anxiety', 'Anxiety disorder', ['197480006', 'Anxiety disorder']),
  condition('condition/chronic-kidney-disease', 'Chronic kidney disease', ['709044004', 'Chronic kidney disease']),
  condition('condition/pregnancy', 'Pregnancy', ['72892002', 'Normal pregnancy']),
  condition('condition/colon-cancer', 'Colon cancer', ['363406005', 'Malignant tumor of colon']),
  condition('condition/prostate-cancer', 'Prostate cancer', ['399068003', 'Malignant tumor of prostate'], ['126906006', 'Neoplasm of prostate']),
  condition('condition/breast-cancer', 'Breast cancer', ['254837009', 'Malignant neoplasm of breast']),
];
const ALLERGIES = [
  allergy('allergy/peanut', 'Peanut allergy', ['91935009', 'Allergy to peanuts']),
  allergy('allergy/tree-nut', 'Tree nut allergy', ['91934008', 'Allergy to nut']),
  allergy('allergy/egg', 'Egg allergy', ['91930004', 'Allergy to eggs']),
  allergy('allergy/fish', 'Fish allergy', ['417532002', 'Allergy to fish']),
  allergy('allergy/shellfish', 'Shellfish allergy', ['300913006', 'Shellfish allergy']),
  allergy('allergy/wheat', 'Wheat allergy', ['420174000', 'Allergy to wheat']),
  allergy('allergy/milk', 'Milk allergy', ['425525006', 'Allergy to dairy product']),
  allergy('allergy/pollen', 'Pollen allergy', ['419263009', 'Allergy to tree pollen'], ['418689008', 'Allergy to grass pollen']),
  allergy('allergy/animal-dander', 'Animal dander allergy', ['232347008', 'Dander (animal) allergy']),
  allergy('allergy/mould', 'Mould allergy', ['419474003', 'Allergy to mould']),
  allergy('allergy/dust-mite', 'House dust mite allergy', ['232350006', 'House dust mite allergy']),
  allergy('allergy/penicillin', 'Penicillin allergy', ['91936005', 'Allergy to penicillin']),
  allergy('allergy/latex', 'Latex allergy', ['300916003', 'Latex allergy']),
  allergy('allergy/bee-venom', 'Bee venom allergy', ['424213003', 'Allergy to bee venom']),
];
const VACCINES = [
  vaccine('vaccine/influenza', 'Influenza vaccine', ['140', 'Influenza, seasonal, injectable, preservative free'], ['141', 'Influenza, seasonal, injectable'], ['150', 'Influenza, injectable, quadrivalent, preservative free'], ['158', 'Influenza, injectable, quadrivalent'], ['88', 'Influenza, unspecified formulation']),
  vaccine('vaccine/tetanus', 'Tetanus, diphtheria and pertussis vaccine', ['113', 'Td (adult) preservative free'], ['115', 'Tdap'], ['20', 'DTaP'], ['09', 'Td (adult)']),
  vaccine('vaccine/pneumococcal', 'Pneumococcal vaccine', ['133', 'Pneumococcal conjugate PCV 13'], ['33', 'Pneumococcal polysaccharide PPV23']),
  vaccine('vaccine/hepatitis-a', 'Hepatitis A vaccine', ['52', 'Hep A, adult'], ['83', 'Hep A, pediatric/adolescent, 2 dose']),
  vaccine('vaccine/hepatitis-b', 'Hepatitis B vaccine', ['08', 'Hep B, adolescent or pediatric'], ['43', 'Hep B, adult'], ['45', 'Hep B, unspecified formulation']),
  vaccine('vaccine/hpv', 'HPV vaccine', ['62', 'HPV, quadrivalent'], ['165', 'HPV9']),
  vaccine('vaccine/mmr', 'Measles, mumps and rubella vaccine', ['03', 'MMR']),
  vaccine('vaccine/varicella', 'Varicella vaccine', ['21', 'Varicella']),
  vaccine('vaccine/zoster', 'Zoster vaccine', ['121', 'Zoster live'], ['187', 'Zoster recombinant']),
  vaccine('vaccine/polio', 'Polio vaccine', ['10', 'IPV']),
  vaccine('vaccine/hib', 'Haemophilus influenzae type b vaccine', ['49', 'Hib (PRP-OMP)'], ['48', 'Hib (PRP-T)']),
  vaccine('vaccine/meningococcal', 'Meningococcal vaccine', ['114', 'Meningococcal MCV4P'], ['136', 'Meningococcal MCV4O']),
  vaccine('vaccine/rotavirus', 'Rotavirus vaccine', ['119', 'Rotavirus, monovalent'], ['116', 'Rotavirus, pentavalent']),
  vaccine('vaccine/covid-19', 'COVID-19 vaccine', ['207', 'COVID-19 mRNA (Moderna)'], ['208', 'COVID-19 mRNA (Pfizer-BioNTech)'], ['212', 'COVID-19 vector (Janssen)']),
];
const MEDICATIONS = [
  medication('medication/statin', 'Statins', ['316672', 'Simvastatin 10 MG'], ['312961', 'Simvastatin 20 MG Oral Tablet'], ['259255', 'Atorvastatin 80 MG Oral Tablet']),
  medication('medication/antihypertensive', 'Blood pressure medicines', ['316049', 'Hydrochlorothiazide 25 MG'], ['197361', 'Amlodipine 5 MG Oral Tablet'], ['833036', 'Captopril 25 MG Oral Tablet'], ['866414', 'Metoprolol succinate 100 MG extended release'], ['897718', 'Verapamil hydrochloride 40 MG']),
  medication('medication/analgesic', 'Pain relievers (non-opioid)', ['313782', 'Acetaminophen 325 MG Oral Tablet'], ['282464', 'Acetaminophen 160 MG Oral Tablet'], ['310965', 'Ibuprofen 200 MG Oral Tablet'], ['198405', 'Ibuprofen 100 MG Oral Tablet'], ['849574', 'Naproxen sodium 220 MG Oral Tablet'], ['198014', 'Naproxen 500 MG Oral Tablet']),
  medication('medication/opioid', 'Opioid pain relievers', ['1049221', 'Acetaminophen 325 MG / Oxycodone 5 MG Oral Tablet'], ['1860154', 'Oxycodone 15 MG extended release'], ['1310197', 'Acetaminophen 300 MG / Hydrocodone 5 MG'], ['856980', 'Acetaminophen / Hydrocodone'], ['861467', 'Meperidine 50 MG Oral Tablet']),
  medication('medication/antibiotic', 'Antibiotics', ['562251', 'Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet'], ['308182', 'Amoxicillin 250 MG Oral Capsule'], ['834102', 'Penicillin V potassium 500 MG Oral Tablet'], ['834061', 'Penicillin V potassium 250 MG Oral Tablet'], ['311989', 'Nitrofurantoin 5 MG/ML Oral Suspension'], ['311995', 'Nitrofurantoin macrocrystals 50 MG Oral Capsule']),
  medication('medication/antithrombotic', 'Anticoagulants and antiplatelets', ['855332', 'Warfarin sodium 5 MG Oral Tablet'], ['309362', 'Clopidogrel 75 MG Oral Tablet']),
  medication('medication/contraceptive', 'Contraceptives', ['751905', 'Trinessa 28 Day Pack'], ['748962', 'Camila 28 Day Pack'], ['831533', 'Errin 28 Day Pack'], ['748856', 'Yaz 28 Day Pack'], ['748879', 'Levora 28 Day Pack'], ['757594', 'Jolivette 28 Day Pack'], ['978950', 'Natazia 28 Day Pack'], ['389221', 'Etonogestrel 68 MG drug implant'], ['1000126', 'Medroxyprogesterone acetate 150 MG/ML injection'], ['807283', 'Mirena 52 MG intrauterine system'], ['1856546', 'Kyleena 19.5 MG intrauterine system'], ['1367439', 'NuvaRing vaginal ring']),
  medication('medication/chemotherapy', 'Chemotherapy', ['1736854', 'Cisplatin 50 MG injection'], ['583214', 'Paclitaxel 100 MG injection'], ['1736776', 'Oxaliplatin 5 MG/ML injection'], ['1860480', 'Docetaxel 20 MG/ML injection'], ['1803932', 'Leucovorin 100 MG injection']),
];
const DOCUMENTS = [
  document('document/summary', 'Summary of an episode', ['34133-9', 'Summary of episode note'], ['60591-5', 'Patient summary document']),
  document('document/discharge-summary', 'Discharge summary', ['18842-5', 'Discharge summary']),
  document('document/consult-note', 'Consultation note', ['11488-4', 'Consult note']),
  document('document/history-and-physical', 'History and physical note', ['34117-2', 'History and physical note']),
  document('document/progress-note', 'Progress note', ['11506-3', 'Progress note']),
  document('document/referral-note', 'Referral note', ['57133-1', 'Referral note']),
  document('document/imaging-report', 'Diagnostic imaging report', ['18748-4', 'Diagnostic imaging study']),
];

const names = (contents: readonly SeedContent[]) => contents.map((c) => c.name);

/** The group tree of system v1, parents first. */
const GROUPS: readonly SeedGroup[] = [
  { name: 'vital-signs', label: 'Vital signs', contents: names(VITAL_SIGNS) },
  { name: 'body-measurements', label: 'Body measurements', contents: names(BODY_MEASUREMENTS) },
  { name: 'fitness', label: 'Fitness data', contents: names(FITNESS) },
  { name: 'social-history', label: 'Social history', contents: names(SOCIAL_HISTORY) },
  { name: 'laboratory', label: 'Laboratory results', contents: ['DiagnosticReport', ...names(LAB_REPORTS)] },
  { name: 'hematology', label: 'Hematology', parent: 'laboratory', contents: names(HEMATOLOGY) },
  { name: 'chemistry', label: 'Clinical chemistry', parent: 'laboratory', contents: names(CHEMISTRY) },
  { name: 'diabetes-markers', label: 'Glucose and HbA1c', parent: 'laboratory', contents: names(GLUCOSE) },
  { name: 'lipids', label: 'Lipids', parent: 'laboratory', contents: names(LIPIDS) },
  { name: 'conditions', label: 'Conditions', contents: ['Condition', ...names(OTHER_CONDITIONS)] },
  { name: 'cardiovascular', label: 'Cardiovascular conditions', parent: 'conditions', contents: names(CARDIOVASCULAR) },
  { name: 'metabolic', label: 'Metabolic conditions', parent: 'conditions', contents: names(METABOLIC) },
  { name: 'respiratory', label: 'Respiratory conditions', parent: 'conditions', contents: names(RESPIRATORY) },
  { name: 'medications', label: 'Medications', contents: ['Medication', 'MedicationRequest', 'MedicationStatement', 'MedicationAdministration', 'MedicationDispense', ...names(MEDICATIONS)] },
  { name: 'immunizations', label: 'Immunizations', contents: ['Immunization', ...names(VACCINES)] },
  { name: 'allergies', label: 'Allergies and intolerances', contents: ['AllergyIntolerance', ...names(ALLERGIES)] },
  { name: 'procedures', label: 'Procedures', contents: ['Procedure'] },
  { name: 'documents', label: 'Documents', contents: ['DocumentReference', 'Composition', 'Binary', ...names(DOCUMENTS)] },
  { name: 'demographics', label: 'Demographics', contents: ['Patient', 'RelatedPerson'] },
  { name: DYNAMIC_GROUP, label: 'Registered automatically', contents: [] },
];

const CODED: readonly SeedContent[] = [
  ...VITAL_SIGNS, ...BODY_MEASUREMENTS, ...FITNESS, ...SOCIAL_HISTORY, ...GLUCOSE, ...LIPIDS, ...HEMATOLOGY, ...CHEMISTRY, ...LAB_REPORTS,
  ...CARDIOVASCULAR, ...METABOLIC, ...RESPIRATORY, ...OTHER_CONDITIONS, ...ALLERGIES, ...VACCINES, ...MEDICATIONS, ...DOCUMENTS,
];

/**
 * The seed's rows: its coded content types, every resource type as its own default content
 * (what a record without a known code is), and the group tree. Everything is version 1 so far;
 * later additions are filtered by the version they came with.
 */
export function seedRows(resourceTypes: Iterable<string>): TaxonomySeedRows {
  const toRow = (c: SeedContent): ContentTypeRow => ({
    name: c.name,
    resourceType: c.resourceType,
    label: c.label,
    codes: c.codes.map(([code, display]): CodeRow => ({ system: c.system, code, display })),
  });
  const defaults = [...resourceTypes].sort().map((type): ContentTypeRow => ({ name: type, resourceType: type, label: type, codes: [] }));
  const groups = GROUPS.map((g): GroupRow => ({ system: DEFAULT_GROUP_SYSTEM, name: g.name, parent: g.parent, label: g.label, contents: g.contents }));
  return { contentTypes: [...CODED.map(toRow), ...defaults], groups };
}

/** Applies the seed unless this database has it already (every start: one statement when it has). */
export function seedTaxonomy(sql: Sql, resourceTypes: Iterable<string>): Promise<boolean> {
  return applyTaxonomySeed(sql, SEED_VERSION, () => seedRows(resourceTypes));
}
