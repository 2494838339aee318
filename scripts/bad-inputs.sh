#!/usr/bin/env bash
# Feeds the nabla program bad input of every kind and prints one markdown table row per case: the
# input, the command, the exit code, what it printed on stderr, and whether it left an output file
# behind. docs/reliability.md holds its output; run it again to regenerate the table:
#
#   bash scripts/bad-inputs.sh [NABLA]        (default: build/tools/nabla)
#
# Every case must exit non-zero with one line "nabla: error: ..." of valid UTF-8 on stderr, leave
# no file behind and change none; the last column names what a case got wrong, and the script then exits 1.
# Needs only what every Debian has: coreutils, gzip (its trailer supplies the CRC-32 that model
# files use), iconv and perl.
set -euo pipefail
export LC_ALL=C  # byte-wise text tools; the same sort order for ls and comm
nabla=$(realpath "${1:-$(dirname "$0")/../build/tools/nabla}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/files"
cd "$work/files"  # commands name their files relatively, so messages show short paths

failures=0

# Markdown table cell: '|' escaped, backquotes made plain quotes.
cell() {
  local text=${1//|/\\|}
  printf '%s' "${text//\`/\'}"
}

# case_row INPUT ARGS...: runs `nabla ARGS...` and prints the table row for it.
case_row() {
  local input=$1 status=0 problems=() before left lines shown sums changed
  shift
  before=$(ls -A)
  sums=$(find . -type f -exec md5sum {} + | sort)
  "$nabla" "$@" >/dev/null 2>"$work/stderr" || status=$?
  left=$(comm -13 <(echo "$before") <(ls -A) | paste -sd ' ')
  changed=$(comm -23 <(echo "$sums") <(find . -type f -exec md5sum {} + | sort) | cut -c35- | paste -sd ' ')
  lines=$(wc -l <"$work/stderr")
  [ "$status" -ne 0 ] || problems+=("exit code 0")
  [ "$lines" -eq 1 ] || problems+=("$lines lines on stderr")
  grep -q '^nabla: error: ' "$work/stderr" || problems+=("no 'nabla: error:'")
  iconv -f UTF-8 -t UTF-8 "$work/stderr" >/dev/null 2>&1 || problems+=("stderr is not UTF-8")
  [ -z "$left" ] || problems+=("left $left")
  [ -z "$changed" ] || problems+=("changed $changed")
  # Bytes that are not UTF-8 shown as \xNN, lines joined with ' ⏎ ', so the table stays readable.
  shown=$(perl -pe 's/([\xC2-\xDF][\x80-\xBF]|[\xE0-\xEF][\x80-\xBF]{2}|[\xF0-\xF4][\x80-\xBF]{3})|([\x80-\xFF])/
    defined $1 ? $1 : sprintf("\\x%02X", ord $2)/gex' "$work/stderr")
  shown=${shown//$'\n'/ ⏎ }
  local verdict="no file left"
  if [ ${#problems[@]} -gt 0 ]; then
    verdict=$(printf '%s; ' "${problems[@]}")
    verdict="**FAIL: ${verdict%; }**"
    failures=$((failures + 1))
  fi
  rm -rf -- $left  # unquoted: one word per file
  printf '| %s | `%s` | %s | `%s` | %s |\n' "$(cell "$input")" "$(cell "nabla $*")" "$status" "$(cell "$shown")" \
    "$verdict"
}

# Binary: byte VALUE writes one byte; u32 / u64 VALUE little-endian, be32 VALUE big-endian.
byte() { printf "\\x$(printf %02x $(($1 & 255)))"; }
le_bytes() {
  local i
  for ((i = 0; i < $2; i++)); do byte $(($1 >> (8 * i))); done
}
u32() { le_bytes "$1" 4; }
u64() { le_bytes "$1" 8; }
be32() {
  local i
  for ((i = 3; i >= 0; i--)); do byte $(($1 >> (8 * i))); done
}

# idx_header TYPE DIM...: an IDX header (00 00 TYPE RANK, then the dimensions); the data follow.
idx_header() {
  local type=$1 dim
  shift
  byte 0; byte 0; byte "$type"; byte $#
  for dim; do be32 "$dim"; done
}

# Model files (docs/model-format.md): u64 at an offset, bytes patched in place, checksums redone.
read_u64() { od -An -tu8 -j "$2" -N8 "$1" | tr -d ' '; }
patch() {  # patch FILE OFFSET: writes stdin over the file's bytes at OFFSET
  dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
crc32_of_first() {  # crc32_of_first FILE COUNT: the CRC-32 of the first COUNT bytes, little-endian
  head -c "$2" "$1" | gzip -c | tail -c 8 | head -c 4
}
flip_byte() {  # flip_byte FILE OFFSET: inverts every bit of one byte
  local value
  value=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  byte $((255 - value)) | patch "$1" "$2"
}
reseal() {  # recomputes the file checksum, so the loader gets past it to the bytes patched
  local size
  size=$(stat -c %s "$1")
  crc32_of_first "$1" $((size - 4)) | patch "$1" $((size - 4))
}

# ---- the files every case starts from: a small CSV, an IDX pair, a model trained on each, and
# the checkpoint of the first.
printf 'x1,x2,species\n5.1,3.5,setosa\n4.9,3.0,setosa\n6.3,2.9,virginica\n5.8,2.7,versicolor\n' >good.csv
{ idx_header 8 4 2 2; printf '\x00\x10\x20\x30\x40\x50\x60\x70\x80\x90\xa0\xb0\xc0\xd0\xe0\xf0'; } >images
{ idx_header 8 4; printf '\x00\x01\x02\x01'; } >labels
"$nabla" train --data good.csv --hidden 3 --epochs 1 --threads 1 --quiet --save model.nabla \
  --checkpoint checkpoint >/dev/null
"$nabla" train --data idx:images,labels --hidden 3 --epochs 1 --threads 1 --quiet --save idx.nabla >/dev/null

echo '| input | command | exit | stderr | result |'
echo '|---|---|---|---|---|'

# ---- CSV data
: >empty.csv
case_row "empty CSV file" train --data empty.csv --save out.nabla
printf 'x1,x2,species\n' >header-only.csv
case_row "CSV: a header and no rows" train --data header-only.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5,setosa\n4.9,virginica\n' >ragged.csv
case_row "CSV: ragged row" train --data ragged.csv --save out.nabla
printf 'x1,x2,species\n5.1,nan,setosa\n4.9,3.0,virginica\n' >nan.csv
case_row "CSV: NaN feature under --missing error" train --data nan.csv --missing error --save out.nabla
printf 'x1,x2,species\n5.1,3.5,setosa\n-inf,3.0,virginica\n' >inf.csv
case_row "CSV: infinite feature" train --data inf.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5,setosa\n1e999,3.0,virginica\n' >overflow.csv
case_row "CSV: feature beyond float range" train --data overflow.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5,setosa\n4.9,\xff\xfe3.0,virginica\n' >latin1.csv
case_row "CSV: non-UTF-8 bytes in a feature" train --data latin1.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5,setosa\n4.9,3.0,"virginica\n' >unclosed.csv
case_row "CSV: quote never closed" train --data unclosed.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5\x00,setosa\n' >nul.csv
case_row "CSV: NUL bytes (binary data)" train --data nul.csv --save out.nabla
{ printf '1'; for ((i = 0; i < 100000; i++)); do printf ',1'; done; printf '\n'; } >wide-100001.csv
case_row "CSV: 100001 columns" train --data wide-100001.csv --save out.nabla
printf 'x1,x2,y\n5.1,3.5,0.5\n4.9,3.0,1.25\n' >fractional.csv
case_row "CSV: fractional class labels" train --data fractional.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5,\n4.9,3.0,virginica\n' >empty-label.csv
case_row "CSV: empty class label" train --data empty-label.csv --save out.nabla
case_row "CSV: unknown target column" train --data good.csv --target price --save out.nabla
case_row "CSV: regression on text labels" train --data good.csv --task regression --save out.nabla
case_row "missing data file" train --data missing.csv --save out.nabla
mkdir folder.csv
case_row "a directory as data" train --data folder.csv --save out.nabla
printf 'x1,x2,species\n5.1,3.5,setosa\n4.9,3.0,daisy\n' >unknown-class.csv
case_row "CSV: class the model never saw" eval --model model.nabla --data unknown-class.csv
printf 'x1,x3,species\n5.1,1,setosa\n' >no-x2.csv
case_row "CSV: a column the model needs is missing" predict --model model.nabla --data no-x2.csv \
  --output predictions.csv
printf '5.1,3.5,1,setosa\n' >three-features.csv
case_row "CSV without a header: 3 features for a 2-feature model" predict --model model.nabla \
  --data three-features.csv --output predictions.csv
case_row "CSV data for an IDX model (2 vs 4 features)" eval --model idx.nabla --data good.csv
printf 'x1,x2,species\n5.1,3.5,setosa\n4.9,3.0,virginica\n' | gzip -c | head -c 40 >truncated.csv.gz
case_row "CSV: truncated gzip" train --data truncated.csv.gz --save out.nabla

# ---- IDX data
{ idx_header 8 4294967295 28 28; } >huge-images
case_row "IDX: header declaring 4294967295×28×28 images" train --data idx:huge-images,labels --save out.nabla
{ printf 'GIF8'; head -c 100 /dev/zero; } >gif-images
case_row "IDX: wrong magic" train --data idx:gif-images,labels --save out.nabla
{ idx_header 13 4 2 2; head -c 64 /dev/zero; } >float-images
case_row "IDX: float data (type 0x0D)" train --data idx:float-images,labels --save out.nabla
head -c 20 images >truncated-images
case_row "IDX: truncated data" train --data idx:truncated-images,labels --save out.nabla
{ cat images; printf 'extra'; } >long-images
case_row "IDX: data after the declared size" train --data idx:long-images,labels --save out.nabla
{ idx_header 8 3; printf '\x00\x01\x02'; } >three-labels
case_row "IDX: 3 labels for 4 images" train --data idx:images,three-labels --save out.nabla
case_row "IDX: labels file given as images" train --data idx:labels,labels --save out.nabla
{ idx_header 8 0 2 2; } >no-images
case_row "IDX: zero images" train --data idx:no-images,labels --save out.nabla

# ---- .nbd data files (docs/data.md): converted from good.csv, then cut, flipped or patched; a
# patched header gets its checksum (bytes 68..71, over bytes 0..67) redone, so the loader gets past it.
"$nabla" convert --data good.csv --output good.nbd >/dev/null
reseal_nbd_header() { crc32_of_first "$1" 68 | patch "$1" 68; }
nbd_size=$(stat -c %s good.nbd)
head -c 40 good.nbd >header-cut.nbd
case_row ".nbd: truncated in the header" train --data header-cut.nbd --save out.nabla
head -c $((nbd_size / 2)) good.nbd >half.nbd
case_row ".nbd: truncated" train --data half.nbd --save out.nabla
cp good.nbd long.nbd && printf 'x' >>long.nbd
case_row ".nbd: data after the declared size" train --data long.nbd --save out.nabla
cp good.nbd flipped-rows.nbd && flip_byte flipped-rows.nbd $((nbd_size - 5))
case_row ".nbd: a flipped byte in the rows" train --data flipped-rows.nbd --save out.nabla
cp good.nbd flipped-description.nbd && flip_byte flipped-description.nbd 80
case_row ".nbd: a flipped byte in the description" eval --model model.nabla --data flipped-description.nbd
cp good.nbd version-9.nbd && u32 9 | patch version-9.nbd 8 && reseal_nbd_header version-9.nbd
case_row ".nbd: format version 9" predict --model model.nabla --data version-9.nbd
cp good.nbd huge-rows.nbd && u64 $((1 << 61)) | patch huge-rows.nbd 24 && reseal_nbd_header huge-rows.nbd
case_row ".nbd: header declaring 2^61 rows" train --data huge-rows.nbd --save out.nabla
case_row ".nbd: --target other than converted with" train --data good.nbd --target x1 --save out.nabla
case_row ".nbd: a flipped byte in the rows, streamed" train --data flipped-rows.nbd --stream --save out.nabla
case_row "--stream on a CSV file" train --data good.csv --stream --save out.nabla
case_row "--stream with --val-split" train --data good.nbd --stream --val-split 0.2 --save out.nabla
case_row ".nbd: a directory as output" convert --data good.csv --output .
case_row ".nbd: convert to standard output" convert --data good.csv --output -
case_row ".nbd: convert over its own data" convert --data good.csv --output good.csv
{ idx_header 8 4; printf '\x00\x01\x07\x01'; } >label-7
case_row "IDX: label 7 for a model of classes 0-2" eval --model idx.nabla --data idx:images,label-7
case_row "IDX data for a CSV model (4 vs 2 features)" eval --model model.nabla --data idx:images,labels
case_row "IDX: regression task" train --data idx:images,labels --task regression --save out.nabla
gzip -c images | head -c 30 >truncated-images.gz
case_row "IDX: truncated gzip" train --data idx:truncated-images.gz,labels --save out.nabla
case_row "IDX: labels not found beside the images" train --data idx:images --save out.nabla

# ---- model files: each case reads a damaged copy of model.nabla
model_case() {  # model_case INPUT FILE: predict with the model FILE, which must write no output
  case_row "$1" predict --model "$2" --data good.csv --output predictions.csv
}
: >empty.nabla
model_case "empty model file" empty.nabla
model_case "model file missing" missing.nabla
model_case "a directory as model" folder.csv
model_case "a CSV file as model" good.csv
{ printf 'NABLAMDX'; tail -c +9 model.nabla; } >bad-magic.nabla
model_case "model: wrong magic" bad-magic.nabla
for version in 3 0; do
  cp model.nabla "version-$version.nabla"
  u32 "$version" | patch "version-$version.nabla" 8
  model_case "model: version $version" "version-$version.nabla"
done
# Truncated in the middle of each part: the header, the nine sections, the final checksum.
head -c 16 model.nabla >truncated-header.nabla
model_case "model: truncated in the header" truncated-header.nabla
offset=24
for section in architecture weights task preprocessing class-names feature-names target-names target-column metadata; do
  payload=$(read_u64 model.nabla $((offset + 4)))
  head -c $((offset + 12 + payload / 2)) model.nabla >"truncated-$section.nabla"
  model_case "model: truncated in section $section" "truncated-$section.nabla"
  offset=$((offset + 12 + payload))
done
head -c $(($(stat -c %s model.nabla) - 2)) model.nabla >truncated-checksum.nabla
model_case "model: truncated in the final checksum" truncated-checksum.nabla
{ cat model.nabla; printf 'junk'; } >long.nabla
model_case "model: bytes after the end" long.nabla
weights=$((24 + 12 + $(read_u64 model.nabla 28) + 12 + 8))  # the first weight
cp model.nabla flipped.nabla
flip_byte flipped.nabla $((weights + 3))
model_case "model: a weight's bit flipped (checksum)" flipped.nabla
cp model.nabla header-checksum.nabla
printf '\x00\x00\x00\x00' | patch header-checksum.nabla 20
model_case "model: header checksum zeroed" header-checksum.nabla
cp model.nabla huge-layers.nabla  # architecture 2-3-2: the hidden width at offset 24+12+8+8
u64 3000000000 | patch huge-layers.nabla $((24 + 12 + 16))
reseal huge-layers.nabla
model_case "model declaring a 3000000000-wide layer (valid checksum)" huge-layers.nabla
cp model.nabla nan-weight.nabla
printf '\x00\x00\xc0\x7f' | patch nan-weight.nabla "$weights"
reseal nan-weight.nabla
model_case "model: NaN weight (valid checksum)" nan-weight.nabla
cp model.nabla inf-weight.nabla
printf '\x00\x00\x80\x7f' | patch inf-weight.nabla $((weights + 4))
reseal inf-weight.nabla
model_case "model: infinite weight (valid checksum)" inf-weight.nabla
cp model.nabla loss-9.nabla  # the loss code: after the count, three widths and two activations
printf '\x09' | patch loss-9.nabla $((24 + 12 + 32 + 2))
reseal loss-9.nabla
model_case "model: unknown loss code (valid checksum)" loss-9.nabla

# ---- checkpoints (train --checkpoint DIR keeps DIR/checkpoint.nabla; --resume DIR reads it)
mkdir plain-model truncated-checkpoint
cp model.nabla plain-model/checkpoint.nabla
case_row "--resume: a model file without training state" train --resume plain-model
head -c $(($(stat -c %s checkpoint/checkpoint.nabla) - 100)) checkpoint/checkpoint.nabla \
  >truncated-checkpoint/checkpoint.nabla
case_row "--resume: checkpoint truncated in its last section" train --resume truncated-checkpoint
case_row "--resume: no checkpoint there" train --resume missing-dir

# ---- flags
case_row "no command"
case_row "unknown command" frobnicate
case_row "unknown flag" train --data good.csv --save out.nabla --bogus
case_row "required flag missing" train --data good.csv
case_row "flag without its value" train --data good.csv --save
case_row "--epochs not a number" train --data good.csv --save out.nabla --epochs ten
case_row "--epochs 0" train --data good.csv --save out.nabla --epochs 0
case_row "--batch -5" train --data good.csv --save out.nabla --batch -5
case_row "--lr -1" train --data good.csv --save out.nabla --lr -1
case_row "--lr nan" train --data good.csv --save out.nabla --lr nan
case_row "--val-split 1.5" train --data good.csv --save out.nabla --val-split 1.5
case_row "--hidden 3,,2" train --data good.csv --save out.nabla --hidden 3,,2
case_row "--hidden 0" train --data good.csv --save out.nabla --hidden 0
case_row "--activation swish" train --data good.csv --save out.nabla --activation swish
case_row "--loss hinge" train --data good.csv --save out.nabla --loss hinge
case_row "--optimizer lbfgs" train --data good.csv --save out.nabla --optimizer lbfgs
case_row "--task clustering" train --data good.csv --save out.nabla --task clustering
case_row "--threads -1" eval --model model.nabla --data good.csv --threads -1
case_row "--save into a missing folder" train --data good.csv --epochs 1 --quiet --save no/such/dir/out.nabla
case_row "--output into a missing folder" predict --model model.nabla --data good.csv --output no/such/dir/p.csv
case_row "unknown data source" train --data fashion-mnist:validation --save out.nabla

# ---- outputs that are inputs, or each other (refused before anything is read or written)
ln -s good.csv link-to-good.csv
case_row "--save is the data file" train --data good.csv --save good.csv
case_row "--save is a symbolic link to the data file" train --data good.csv --save link-to-good.csv
case_row "--log is the --save file" train --data good.csv --save model.nabla --log model.nabla
case_row "--plot is the data file" train --data good.csv --save out.nabla --plot good.csv
case_row "--output is the data file" predict --model model.nabla --data good.csv --output good.csv
case_row "--output is the model file" predict --model model.nabla --data good.csv --output model.nabla
case_row "--onnx is the model file" export --model model.nabla --onnx model.nabla
mkdir a-folder
case_row "--save is a directory" train --data good.csv --epochs 1 --quiet --save a-folder

if [ "$failures" -gt 0 ]; then
  echo "$failures case(s) misbehaved" >&2
  exit 1
fi
