#!/usr/bin/env perl
# compare.pl GOLDEN.tsv ACTUAL.csv QUERY.sql — compare a query's rows with its golden answer.
#
# GOLDEN.tsv: a header line, then rows tab-separated, NULL written as NULL (what
# make-answers.sh writes from DuckDB). ACTUAL.csv: `ember sql --format csv` output
# (RFC 4180: a header line, quoting when needed, NULL as an unquoted empty field).
#
# The rows must be as many, numbers equal within a relative tolerance of 1e-6, strings
# exactly equal. Order: the query's final ORDER BY names output columns; the golden rows
# are cut into runs of equal sort keys and each run must hold the same rows (in any
# order, since ties may come out either way) at the same place in the actual answer.
# When the query ends with LIMIT, the last run may be cut short differently, so only its
# sort keys are compared. Without ORDER BY the answers are compared as multisets.
# Column names are not compared (engines name unaliased expressions differently).
# Exit status: 0 same, 1 different (with an explanation on stdout), 2 bad input.
use strict;
use warnings;

my ($golden_file, $actual_file, $query_file) = @ARGV;
die "usage: compare.pl GOLDEN.tsv ACTUAL.csv QUERY.sql\n" unless defined $query_file;

sub slurp {
    my ($f) = @_;
    open(my $fh, '<', $f) or do { print "cannot read $f: $!\n"; exit 2 };
    local $/;
    my $t = <$fh>;
    close $fh;
    return defined $t ? $t : '';
}

# ---- reading both answers ----

sub read_tsv {
    my @lines = split /\n/, slurp($_[0]);
    my @header = split /\t/, shift(@lines) // '', -1;
    my @rows = map { [map { $_ eq 'NULL' ? undef : $_ } split(/\t/, $_, -1)] } @lines;
    return (\@header, \@rows);
}

# RFC 4180 records: fields may be quoted ("" is a quote inside quotes); an unquoted
# empty field is NULL.
sub read_csv {
    my $text = slurp($_[0]);
    my (@records, @fields);
    my $len = length $text;
    my $i = 0;
    return ([], []) if $len == 0;
    while ($i < $len) {
        my $c = substr($text, $i, 1);
        my $value;
        if ($c eq '"') {
            $value = '';
            $i++;
            while ($i < $len) {
                my $q = index($text, '"', $i);
                if ($q < 0) { print "unterminated quote in $_[0]\n"; exit 2 }
                $value .= substr($text, $i, $q - $i);
                $i = $q + 1;
                if ($i < $len && substr($text, $i, 1) eq '"') { $value .= '"'; $i++; next }
                last;
            }
        } else {
            my $j = $i;
            $j++ while $j < $len && substr($text, $j, 1) ne ',' && substr($text, $j, 1) ne "\n";
            $value = substr($text, $i, $j - $i);
            $value =~ s/\r$//;
            $value = undef if $value eq '';
            $i = $j;
        }
        push @fields, $value;
        my $d = $i < $len ? substr($text, $i, 1) : "\n";
        $i++;
        if ($d eq "\n") {
            push @records, [@fields];
            @fields = ();
        }
    }
    my $header = shift(@records) // [];
    return ($header, \@records);
}

# ---- values ----

my $NUM = qr/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

sub same_value {
    my ($a, $b) = @_;
    return !defined $a && !defined $b if !defined $a || !defined $b;
    return 1 if $a eq $b;
    if ($a =~ $NUM && $b =~ $NUM) {
        my $scale = abs($a) > abs($b) ? abs($a) : abs($b);
        return abs($a - $b) <= 1e-6 * $scale || abs($a - $b) <= 1e-9;
    }
    return 0;
}

# Order for sorting the rows of one run: NULL first, numbers by value, text bytewise.
sub cmp_value {
    my ($a, $b) = @_;
    return 0 if !defined $a && !defined $b;
    return -1 if !defined $a;
    return 1 if !defined $b;
    return 0 if same_value($a, $b);
    return $a <=> $b if $a =~ $NUM && $b =~ $NUM;
    return $a cmp $b;
}

sub cmp_row {
    my ($x, $y) = @_;
    for my $k (0 .. $#$x) {
        my $c = cmp_value($x->[$k], $y->[$k]);
        return $c if $c;
    }
    return 0;
}

sub show {
    my ($row) = @_;
    return '(none)' unless $row;
    return join(' | ', map { defined $_ ? $_ : 'NULL' } @$row);
}

# ---- the query's ORDER BY and LIMIT ----

my $sql = slurp($query_file);
$sql =~ s/--[^\n]*//g;
my $has_limit = $sql =~ /\bLIMIT\s+\d+\s*;?\s*$/i;
my @order_names;
if ($sql =~ /.*\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|;|$)/is) {
    for my $item (split /,/, $1) {
        $item =~ s/^\s+|\s+$//g;
        $item =~ s/\s+(ASC|DESC)$//i;
        $item =~ s/\s+NULLS\s+(FIRST|LAST)$//i;
        push @order_names, lc $item;
    }
}

my ($gheader, $grows) = read_tsv($golden_file);
my ($aheader, $arows) = read_csv($actual_file);

my @keys;
for my $name (@order_names) {
    my ($idx) = grep { lc($gheader->[$_]) eq $name } 0 .. $#$gheader;
    if (!defined $idx) {
        print "note: ORDER BY item '$name' is not an output column; comparing as multisets\n";
        @keys = ();
        last;
    }
    push @keys, $idx;
}
my $ordered = @order_names && @keys;

# ---- compare ----

my $failed = 0;
sub fail {
    print "$_[0]\n";
    $failed = 1;
}

if (@$aheader != @$gheader) {
    fail(sprintf("%d columns, expected %d (%s)", scalar @$aheader, scalar @$gheader,
                 join(', ', @$gheader)));
}
if (@$arows != @$grows) {
    fail(sprintf("%d rows, expected %d", scalar @$arows, scalar @$grows));
}
for my $r (0 .. $#$arows) {
    if (@{$arows->[$r]} != @$gheader) {
        fail(sprintf("row %d has %d fields, expected %d: %s", $r + 1, scalar @{$arows->[$r]},
                     scalar @$gheader, show($arows->[$r])));
        last;
    }
}
exit 1 if $failed;

# Runs of golden rows with equal sort keys ([start, end) pairs); one run when unordered.
my @runs;
if ($ordered) {
    my $start = 0;
    for my $r (1 .. scalar @$grows) {
        next if $r < @$grows && !grep { !same_value($grows->[$r][$_], $grows->[$start][$_]) } @keys;
        push @runs, [$start, $r];
        $start = $r;
    }
} else {
    @runs = ([0, scalar @$grows]) if @$grows;
}

my $shown = 0;
for my $run (@runs) {
    my ($s, $e) = @$run;
    my $last_cut = $has_limit && $e == @$grows && $ordered;
    if ($last_cut) {
        for my $r ($s .. $e - 1) {
            next unless grep { !same_value($arows->[$r][$_], $grows->[$r][$_]) } @keys;
            fail(sprintf("row %d: sort keys differ\n  expected: %s\n  actual:   %s", $r + 1,
                         show($grows->[$r]), show($arows->[$r])));
            last;
        }
        next;
    }
    my @g = sort { cmp_row($a, $b) } @{$grows}[$s .. $e - 1];
    my @a = sort { cmp_row($a, $b) } @{$arows}[$s .. $e - 1];
    for my $k (0 .. $#g) {
        next unless grep { !same_value($a[$k][$_], $g[$k][$_]) } 0 .. $#{$g[$k]};
        my $where = !$ordered      ? "the rows (compared as a multiset) differ"
                    : $e - $s == 1 ? sprintf("row %d differs", $s + 1)
                    : sprintf("rows %d..%d (equal sort keys, any order) differ", $s + 1, $e);
        fail("$where\n  expected: " . show($g[$k]) . "\n  actual:   " . show($a[$k]));
        last;
    }
    last if $failed && ++$shown >= 3;
}
exit($failed ? 1 : 0);
