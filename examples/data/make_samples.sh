#!/usr/bin/env bash
# Rebuilds the demo's sample inputs from the PostScript below, with Debian
# tools only: ghostscript renders the pages, djvulibre's c44 makes the DjVu.
# Run from anywhere: bash examples/data/make_samples.sh
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat > "$tmp/table.ps" <<'PS'
%!PS
<< /PageSize [360 160] >> setpagedevice
/Helvetica findfont 12 scalefont setfont
0.8 setlinewidth
% grid: 4 rows x 3 columns
20 20 moveto 340 20 lineto 340 140 lineto 20 140 lineto closepath stroke
20 50 moveto 340 50 lineto stroke 20 80 moveto 340 80 lineto stroke
20 110 moveto 340 110 lineto stroke
140 20 moveto 140 140 lineto stroke 250 20 moveto 250 140 lineto stroke
/cell { moveto show } def
(Item) 28 120 cell (Qty) 148 120 cell (Price) 258 120 cell
(Coffee beans) 28 90 cell (2) 148 90 cell (12.50) 258 90 cell
(Milk, whole) 28 60 cell (1) 148 60 cell (1.20) 258 60 cell
(Total) 28 30 cell () 148 30 cell (26.20) 258 30 cell
showpage
PS

cat > "$tmp/form.ps" <<'PS'
%!PS
<< /PageSize [300 200] >> setpagedevice
/Helvetica findfont 12 scalefont setfont
1 setlinewidth
(Which animals do you keep?) 20 170 moveto show
/box { 2 copy 12 12 rectstroke } def
/mark { 12 12 rectfill } def
(Cats) 50 140 moveto show 25 138 box pop pop
(Dogs) 50 115 moveto show 25 113 box mark
(Fish) 50 90 moveto show 25 88 box pop pop
(Which plants?) 20 60 moveto show
(Ferns) 50 35 moveto show 25 33 box pop pop
showpage
PS

cat > "$tmp/book.ps" <<'PS'
%!PS
<< /PageSize [300 400] >> setpagedevice
/Times-Roman findfont 16 scalefont setfont
(A Short Book) 90 350 moveto show
/Times-Roman findfont 11 scalefont setfont
(Chapter 1. The task queue.) 30 300 moveto show
(Submit the page, poll until Completed,) 30 280 moveto show
(then stream the PDF to disk.) 30 265 moveto show
showpage
PS

gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pnggray -r100 -sOutputFile=table.png "$tmp/table.ps"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pnggray -r100 -sOutputFile=form.png "$tmp/form.ps"
gs -q -dSAFER -dBATCH -dNOPAUSE -sDEVICE=pgmraw -r100 -sOutputFile="$tmp/book.pgm" "$tmp/book.ps"
c44 -dpi 100 "$tmp/book.pgm" book.djvu
echo "wrote table.png form.png book.djvu (form.omr is hand-written)"
