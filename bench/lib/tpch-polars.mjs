// tpch-polars.mjs — the 22 TPC-H queries written with Polars expressions (nodejs-polars),
// with the validation parameters of bench/tpch/queries/*.sql, and the tables they read.
// Polars reads money and quantities as Float64 (its DECIMAL support is partial); every
// answer is compared with DuckDB's within a tolerance.
import path from 'node:path';
import { lazyTables } from './workload.mjs';

// Column types by table, in the order of the files' columns.
function schemas(pl) {
  const I = pl.Int64, F = pl.Float64, S = pl.Utf8, D = pl.Date;
  return {
    region: { r_regionkey: I, r_name: S, r_comment: S },
    nation: { n_nationkey: I, n_name: S, n_regionkey: I, n_comment: S },
    supplier: { s_suppkey: I, s_name: S, s_address: S, s_nationkey: I, s_phone: S, s_acctbal: F, s_comment: S },
    customer: { c_custkey: I, c_name: S, c_address: S, c_nationkey: I, c_phone: S, c_acctbal: F,
                c_mktsegment: S, c_comment: S },
    part: { p_partkey: I, p_name: S, p_mfgr: S, p_brand: S, p_type: S, p_size: I, p_container: S,
            p_retailprice: F, p_comment: S },
    partsupp: { ps_partkey: I, ps_suppkey: I, ps_availqty: I, ps_supplycost: F, ps_comment: S },
    orders: { o_orderkey: I, o_custkey: I, o_orderstatus: S, o_totalprice: F, o_orderdate: D,
              o_orderpriority: S, o_clerk: S, o_shippriority: I, o_comment: S },
    lineitem: { l_orderkey: I, l_partkey: I, l_suppkey: I, l_linenumber: I, l_quantity: F,
                l_extendedprice: F, l_discount: F, l_tax: F, l_returnflag: S, l_linestatus: S,
                l_shipdate: D, l_commitdate: D, l_receiptdate: D, l_shipinstruct: S, l_shipmode: S,
                l_comment: S },
  };
}

export function tpchPolarsTables(pl, dir, format) {
  const openers = {};
  for (const [table, schema] of Object.entries(schemas(pl))) {
    openers[table] = format === 'parquet'
      // Whatever physical types the file has, the queries see the same ones as from CSV.
      ? () => pl.scanParquet(path.join(dir, `${table}.parquet`))
        .select(...Object.entries(schema).map(([name, type]) => pl.col(name).cast(type)))
      : () => pl.scanCSV(path.join(dir, `${table}.csv`), { schema });
  }
  return lazyTables(openers);
}

const asc = (by) => ({ by, descending: by.map(() => false) });

function build(pl) {
  const c = pl.col;
  const d = (s) => pl.lit(new Date(`${s}T00:00:00Z`)).cast(pl.Date);
  const between = (col, lo, hi) => c(col).gtEq(lo).and(c(col).ltEq(hi));
  const dateRange = (col, from, to) => c(col).gtEq(d(from)).and(c(col).lt(d(to)));
  const discPrice = () => c('l_extendedprice').mul(pl.lit(1).minus(c('l_discount')));
  // SQL's SUM over no rows is NULL, Polars' is 0: the scalar answers keep SQL's meaning.
  const sqlSum = (e) => pl.when(pl.len().gt(0)).then(e.sum()).otherwise(pl.lit(null));

  return {
    1: ({ lineitem }) => lineitem.filter(c('l_shipdate').ltEq(d('1998-09-02')))
      .groupBy(['l_returnflag', 'l_linestatus'])
      .agg(
        c('l_quantity').sum().alias('sum_qty'),
        c('l_extendedprice').sum().alias('sum_base_price'),
        discPrice().sum().alias('sum_disc_price'),
        discPrice().mul(pl.lit(1).plus(c('l_tax'))).sum().alias('sum_charge'),
        c('l_quantity').mean().alias('avg_qty'),
        c('l_extendedprice').mean().alias('avg_price'),
        c('l_discount').mean().alias('avg_disc'),
        pl.len().alias('count_order'))
      .sort(asc(['l_returnflag', 'l_linestatus'])),

    2: ({ region, nation, supplier, partsupp, part }) => {
      const europe = region.filter(c('r_name').eq(pl.lit('EUROPE')))
        .join(nation, { leftOn: 'r_regionkey', rightOn: 'n_regionkey' })
        .join(supplier, { leftOn: 'n_nationkey', rightOn: 's_nationkey' })
        .join(partsupp, { leftOn: 's_suppkey', rightOn: 'ps_suppkey' });
      const brass = part.filter(c('p_size').eq(15).and(c('p_type').str.endsWith('BRASS')))
        .join(europe, { leftOn: 'p_partkey', rightOn: 'ps_partkey' });
      const cheapest = brass.groupBy('p_partkey').agg(c('ps_supplycost').min().alias('min_cost'));
      return brass.join(cheapest, { on: 'p_partkey' })
        .filter(c('ps_supplycost').eq(c('min_cost')))
        .select('s_acctbal', 's_name', 'n_name', 'p_partkey', 'p_mfgr', 's_address', 's_phone', 's_comment')
        .sort({ by: ['s_acctbal', 'n_name', 's_name', 'p_partkey'], descending: [true, false, false, false] })
        .head(100);
    },

    3: ({ customer, orders, lineitem }) => customer.filter(c('c_mktsegment').eq(pl.lit('BUILDING')))
      .join(orders, { leftOn: 'c_custkey', rightOn: 'o_custkey' })
      .join(lineitem, { leftOn: 'o_orderkey', rightOn: 'l_orderkey' })
      .filter(c('o_orderdate').lt(d('1995-03-15')).and(c('l_shipdate').gt(d('1995-03-15'))))
      .withColumns(discPrice().alias('revenue'))
      .groupBy(['o_orderkey', 'o_orderdate', 'o_shippriority'])
      .agg(c('revenue').sum())
      .select(c('o_orderkey').alias('l_orderkey'), 'revenue', 'o_orderdate', 'o_shippriority')
      .sort({ by: ['revenue', 'o_orderdate'], descending: [true, false] })
      .head(10),

    4: ({ orders, lineitem }) => {
      const late = lineitem.filter(c('l_commitdate').lt(c('l_receiptdate'))).select('l_orderkey');
      return orders.filter(dateRange('o_orderdate', '1993-07-01', '1993-10-01'))
        .join(late, { leftOn: 'o_orderkey', rightOn: 'l_orderkey', how: 'semi' })
        .groupBy('o_orderpriority').agg(pl.len().alias('order_count'))
        .sort(asc(['o_orderpriority']));
    },

    5: ({ region, nation, customer, orders, lineitem, supplier }) => region
      .filter(c('r_name').eq(pl.lit('ASIA')))
      .join(nation, { leftOn: 'r_regionkey', rightOn: 'n_regionkey' })
      .join(customer, { leftOn: 'n_nationkey', rightOn: 'c_nationkey' })
      .join(orders, { leftOn: 'c_custkey', rightOn: 'o_custkey' })
      .join(lineitem, { leftOn: 'o_orderkey', rightOn: 'l_orderkey' })
      .join(supplier, { leftOn: ['l_suppkey', 'n_nationkey'], rightOn: ['s_suppkey', 's_nationkey'] })
      .filter(dateRange('o_orderdate', '1994-01-01', '1995-01-01'))
      .withColumns(discPrice().alias('revenue'))
      .groupBy('n_name').agg(c('revenue').sum())
      .sort({ by: ['revenue'], descending: [true] }),

    6: ({ lineitem }) => lineitem
      .filter(dateRange('l_shipdate', '1994-01-01', '1995-01-01')
        .and(between('l_discount', 0.05, 0.07)).and(c('l_quantity').lt(24)))
      .select(sqlSum(c('l_extendedprice').mul(c('l_discount'))).alias('revenue')),

    7: ({ nation, lineitem, supplier, orders, customer }) => {
      const n1 = nation.select(c('n_nationkey').alias('n1_key'), c('n_name').alias('supp_nation'));
      const n2 = nation.select(c('n_nationkey').alias('n2_key'), c('n_name').alias('cust_nation'));
      const pair = (a, b) => c('supp_nation').eq(pl.lit(a)).and(c('cust_nation').eq(pl.lit(b)));
      return lineitem.filter(c('l_shipdate').gtEq(d('1995-01-01')).and(c('l_shipdate').ltEq(d('1996-12-31'))))
        .join(supplier, { leftOn: 'l_suppkey', rightOn: 's_suppkey' })
        .join(orders, { leftOn: 'l_orderkey', rightOn: 'o_orderkey' })
        .join(customer, { leftOn: 'o_custkey', rightOn: 'c_custkey' })
        .join(n1, { leftOn: 's_nationkey', rightOn: 'n1_key' })
        .join(n2, { leftOn: 'c_nationkey', rightOn: 'n2_key' })
        .filter(pair('FRANCE', 'GERMANY').or(pair('GERMANY', 'FRANCE')))
        .withColumns(c('l_shipdate').dt.year().alias('l_year'), discPrice().alias('volume'))
        .groupBy(['supp_nation', 'cust_nation', 'l_year'])
        .agg(c('volume').sum().alias('revenue'))
        .sort(asc(['supp_nation', 'cust_nation', 'l_year']));
    },

    8: ({ part, lineitem, supplier, orders, customer, nation, region }) => {
      const n1 = nation.select(c('n_nationkey').alias('n1_key'), c('n_regionkey').alias('n1_region'));
      const n2 = nation.select(c('n_nationkey').alias('n2_key'), c('n_name').alias('nation'));
      return part.filter(c('p_type').eq(pl.lit('ECONOMY ANODIZED STEEL')))
        .join(lineitem, { leftOn: 'p_partkey', rightOn: 'l_partkey' })
        .join(supplier, { leftOn: 'l_suppkey', rightOn: 's_suppkey' })
        .join(orders, { leftOn: 'l_orderkey', rightOn: 'o_orderkey' })
        .join(customer, { leftOn: 'o_custkey', rightOn: 'c_custkey' })
        .join(n1, { leftOn: 'c_nationkey', rightOn: 'n1_key' })
        .join(region.filter(c('r_name').eq(pl.lit('AMERICA'))), { leftOn: 'n1_region', rightOn: 'r_regionkey' })
        .join(n2, { leftOn: 's_nationkey', rightOn: 'n2_key' })
        .filter(c('o_orderdate').gtEq(d('1995-01-01')).and(c('o_orderdate').ltEq(d('1996-12-31'))))
        .withColumns(c('o_orderdate').dt.year().alias('o_year'), discPrice().alias('volume'))
        .withColumns(pl.when(c('nation').eq(pl.lit('BRAZIL'))).then(c('volume')).otherwise(pl.lit(0.0))
          .alias('brazil_volume'))
        .groupBy('o_year')
        .agg(c('brazil_volume').sum().div(c('volume').sum()).alias('mkt_share'))
        .sort(asc(['o_year']));
    },

    9: ({ part, partsupp, supplier, lineitem, orders, nation }) => part
      .filter(c('p_name').str.contains('green', true))
      .join(partsupp, { leftOn: 'p_partkey', rightOn: 'ps_partkey' })
      .join(supplier, { leftOn: 'ps_suppkey', rightOn: 's_suppkey' })
      .join(lineitem, { leftOn: ['p_partkey', 'ps_suppkey'], rightOn: ['l_partkey', 'l_suppkey'] })
      .join(orders, { leftOn: 'l_orderkey', rightOn: 'o_orderkey' })
      .join(nation, { leftOn: 's_nationkey', rightOn: 'n_nationkey' })
      .withColumns(
        c('n_name').alias('nation'),
        c('o_orderdate').dt.year().alias('o_year'),
        discPrice().minus(c('ps_supplycost').mul(c('l_quantity'))).alias('amount'))
      .groupBy(['nation', 'o_year']).agg(c('amount').sum().alias('sum_profit'))
      .sort({ by: ['nation', 'o_year'], descending: [false, true] }),

    10: ({ customer, orders, lineitem, nation }) => customer
      .join(orders, { leftOn: 'c_custkey', rightOn: 'o_custkey' })
      .join(lineitem, { leftOn: 'o_orderkey', rightOn: 'l_orderkey' })
      .join(nation, { leftOn: 'c_nationkey', rightOn: 'n_nationkey' })
      .filter(dateRange('o_orderdate', '1993-10-01', '1994-01-01').and(c('l_returnflag').eq(pl.lit('R'))))
      .withColumns(discPrice().alias('revenue'))
      .groupBy(['c_custkey', 'c_name', 'c_acctbal', 'c_phone', 'n_name', 'c_address', 'c_comment'])
      .agg(c('revenue').sum())
      .select('c_custkey', 'c_name', 'revenue', 'c_acctbal', 'n_name', 'c_address', 'c_phone', 'c_comment')
      .sort({ by: ['revenue'], descending: [true] })
      .head(20),

    11: ({ partsupp, supplier, nation }) => {
      const germany = partsupp.join(supplier, { leftOn: 'ps_suppkey', rightOn: 's_suppkey' })
        .join(nation.filter(c('n_name').eq(pl.lit('GERMANY'))), { leftOn: 's_nationkey', rightOn: 'n_nationkey' })
        .withColumns(c('ps_supplycost').mul(c('ps_availqty')).alias('value'));
      const threshold = germany.select(c('value').sum().mul(0.0001).alias('threshold'));
      return germany.groupBy('ps_partkey').agg(c('value').sum())
        .join(threshold, { how: 'cross' })
        .filter(c('value').gt(c('threshold')))
        .select('ps_partkey', 'value')
        .sort({ by: ['value'], descending: [true] });
    },

    12: ({ orders, lineitem }) => {
      const high = c('o_orderpriority').isIn(['1-URGENT', '2-HIGH']);
      return orders.join(lineitem, { leftOn: 'o_orderkey', rightOn: 'l_orderkey' })
        .filter(c('l_shipmode').isIn(['MAIL', 'SHIP'])
          .and(c('l_commitdate').lt(c('l_receiptdate')))
          .and(c('l_shipdate').lt(c('l_commitdate')))
          .and(dateRange('l_receiptdate', '1994-01-01', '1995-01-01')))
        .withColumns(
          pl.when(high).then(pl.lit(1)).otherwise(pl.lit(0)).alias('high'),
          pl.when(high).then(pl.lit(0)).otherwise(pl.lit(1)).alias('low'))
        .groupBy('l_shipmode')
        .agg(c('high').sum().alias('high_line_count'), c('low').sum().alias('low_line_count'))
        .sort(asc(['l_shipmode']));
    },

    13: ({ customer, orders }) => customer
      .join(orders.filter(c('o_comment').str.contains('special.*requests').not()),
            { leftOn: 'c_custkey', rightOn: 'o_custkey', how: 'left' })
      .groupBy('c_custkey').agg(c('o_orderkey').count().alias('c_count'))
      .groupBy('c_count').agg(pl.len().alias('custdist'))
      .sort({ by: ['custdist', 'c_count'], descending: [true, true] }),

    14: ({ lineitem, part }) => lineitem
      .join(part, { leftOn: 'l_partkey', rightOn: 'p_partkey' })
      .filter(dateRange('l_shipdate', '1995-09-01', '1995-10-01'))
      .withColumns(discPrice().alias('revenue'))
      .select(pl.lit(100.0)
        .mul(pl.when(c('p_type').str.startsWith('PROMO')).then(c('revenue')).otherwise(pl.lit(0.0)).sum())
        .div(c('revenue').sum()).alias('promo_revenue')),

    15: ({ lineitem, supplier }) => {
      const revenue = lineitem.filter(dateRange('l_shipdate', '1996-01-01', '1996-04-01'))
        .withColumns(discPrice().alias('r'))
        .groupBy('l_suppkey').agg(c('r').sum().alias('total_revenue'));
      return supplier.join(revenue, { leftOn: 's_suppkey', rightOn: 'l_suppkey' })
        .filter(c('total_revenue').eq(c('total_revenue').max()))
        .select('s_suppkey', 's_name', 's_address', 's_phone', 'total_revenue')
        .sort(asc(['s_suppkey']));
    },

    16: ({ supplier, partsupp, part }) => {
      const complaints = supplier.filter(c('s_comment').str.contains('Customer.*Complaints')).select('s_suppkey');
      return partsupp.join(part, { leftOn: 'ps_partkey', rightOn: 'p_partkey' })
        .filter(c('p_brand').neq(pl.lit('Brand#45'))
          .and(c('p_type').str.startsWith('MEDIUM POLISHED').not())
          .and(c('p_size').isIn([49, 14, 23, 45, 19, 3, 36, 9])))
        .join(complaints, { leftOn: 'ps_suppkey', rightOn: 's_suppkey', how: 'anti' })
        .groupBy(['p_brand', 'p_type', 'p_size'])
        .agg(c('ps_suppkey').nUnique().alias('supplier_cnt'))
        .sort({ by: ['supplier_cnt', 'p_brand', 'p_type', 'p_size'], descending: [true, false, false, false] });
    },

    17: ({ part, lineitem }) => {
      const items = part.filter(c('p_brand').eq(pl.lit('Brand#23')).and(c('p_container').eq(pl.lit('MED BOX'))))
        .join(lineitem, { leftOn: 'p_partkey', rightOn: 'l_partkey' });
      const limit = items.groupBy('p_partkey').agg(c('l_quantity').mean().mul(0.2).alias('limit_quantity'));
      return items.join(limit, { on: 'p_partkey' })
        .filter(c('l_quantity').lt(c('limit_quantity')))
        .select(sqlSum(c('l_extendedprice')).div(7.0).alias('avg_yearly'));
    },

    18: ({ customer, orders, lineitem }) => {
      const big = lineitem.groupBy('l_orderkey').agg(c('l_quantity').sum().alias('total'))
        .filter(c('total').gt(300));
      return orders.join(big, { leftOn: 'o_orderkey', rightOn: 'l_orderkey', how: 'semi' })
        .join(lineitem, { leftOn: 'o_orderkey', rightOn: 'l_orderkey' })
        .join(customer, { leftOn: 'o_custkey', rightOn: 'c_custkey' })
        .groupBy(['c_name', 'o_custkey', 'o_orderkey', 'o_orderdate', 'o_totalprice'])
        .agg(c('l_quantity').sum().alias('sum_qty'))
        .select('c_name', c('o_custkey').alias('c_custkey'), 'o_orderkey', 'o_orderdate', 'o_totalprice', 'sum_qty')
        .sort({ by: ['o_totalprice', 'o_orderdate'], descending: [true, false] })
        .head(100);
    },

    19: ({ lineitem, part }) => {
      const kind = (brand, containers, qlo, size) => c('p_brand').eq(pl.lit(brand))
        .and(c('p_container').isIn(containers))
        .and(between('l_quantity', qlo, qlo + 10))
        .and(between('p_size', 1, size));
      return lineitem.join(part, { leftOn: 'l_partkey', rightOn: 'p_partkey' })
        .filter(c('l_shipmode').isIn(['AIR', 'AIR REG']).and(c('l_shipinstruct').eq(pl.lit('DELIVER IN PERSON'))))
        .filter(kind('Brand#12', ['SM CASE', 'SM BOX', 'SM PACK', 'SM PKG'], 1, 5)
          .or(kind('Brand#23', ['MED BAG', 'MED BOX', 'MED PKG', 'MED PACK'], 10, 10))
          .or(kind('Brand#34', ['LG CASE', 'LG BOX', 'LG PACK', 'LG PKG'], 20, 15)))
        .select(sqlSum(discPrice()).alias('revenue'));
    },

    20: ({ lineitem, part, partsupp, supplier, nation }) => {
      const shipped = lineitem.filter(dateRange('l_shipdate', '1994-01-01', '1995-01-01'))
        .groupBy(['l_partkey', 'l_suppkey']).agg(c('l_quantity').sum().mul(0.5).alias('half_quantity'));
      const forest = part.filter(c('p_name').str.startsWith('forest')).select('p_partkey');
      const suppliers = partsupp.join(forest, { leftOn: 'ps_partkey', rightOn: 'p_partkey', how: 'semi' })
        .join(shipped, { leftOn: ['ps_partkey', 'ps_suppkey'], rightOn: ['l_partkey', 'l_suppkey'] })
        .filter(c('ps_availqty').gt(c('half_quantity')))
        .select('ps_suppkey');
      return supplier.join(nation.filter(c('n_name').eq(pl.lit('CANADA'))), { leftOn: 's_nationkey', rightOn: 'n_nationkey' })
        .join(suppliers, { leftOn: 's_suppkey', rightOn: 'ps_suppkey', how: 'semi' })
        .select('s_name', 's_address')
        .sort(asc(['s_name']));
    },

    21: ({ lineitem, supplier, nation, orders }) => {
      const items = lineitem.select('l_orderkey', 'l_suppkey', 'l_receiptdate', 'l_commitdate');
      const several = items.groupBy('l_orderkey').agg(c('l_suppkey').nUnique().alias('n'))
        .filter(c('n').gt(1)).select('l_orderkey');
      const late = items.filter(c('l_receiptdate').gt(c('l_commitdate')));
      const lateAlone = late.groupBy('l_orderkey').agg(c('l_suppkey').nUnique().alias('n'))
        .filter(c('n').eq(1)).select('l_orderkey');
      return late.join(several, { on: 'l_orderkey', how: 'semi' })
        .join(lateAlone, { on: 'l_orderkey', how: 'semi' })
        .join(supplier, { leftOn: 'l_suppkey', rightOn: 's_suppkey' })
        .join(nation.filter(c('n_name').eq(pl.lit('SAUDI ARABIA'))), { leftOn: 's_nationkey', rightOn: 'n_nationkey' })
        .join(orders.filter(c('o_orderstatus').eq(pl.lit('F'))), { leftOn: 'l_orderkey', rightOn: 'o_orderkey', how: 'semi' })
        .groupBy('s_name').agg(pl.len().alias('numwait'))
        .sort({ by: ['numwait', 's_name'], descending: [true, false] })
        .head(100);
    },

    22: ({ customer, orders }) => {
      const codes = ['13', '31', '23', '29', '30', '18', '17'];
      const candidates = customer.withColumns(c('c_phone').str.slice(0, 2).alias('cntrycode'))
        .filter(c('cntrycode').isIn(codes));
      const average = candidates.filter(c('c_acctbal').gt(0.0)).select(c('c_acctbal').mean().alias('avg_acctbal'));
      return candidates.join(orders, { leftOn: 'c_custkey', rightOn: 'o_custkey', how: 'anti' })
        .join(average, { how: 'cross' })
        .filter(c('c_acctbal').gt(c('avg_acctbal')))
        .groupBy('cntrycode')
        .agg(pl.len().alias('numcust'), c('c_acctbal').sum().alias('totacctbal'))
        .sort(asc(['cntrycode']));
    },
  };
}

// Query number -> (tables, pl) => LazyFrame. Built on first use, with the peer's pl.
export const tpchPolarsQueries = Object.fromEntries(Array.from({ length: 22 }, (_, i) => [i + 1,
  (tables, pl) => build(pl)[i + 1](tables)]));
