// Pricers of stored data: RDS, ElastiCache (nodes and serverless), Secrets Manager and ECR.

package cost

import (
	"fmt"
)

func (e *estimator) rds(r *resource, name string) error {
	v := r.Values
	class := str(v, "instance_class")
	engine := str(v, "engine")
	if class == "" || engine == "" {
		e.unpriced(r, "instance class or engine unknown at plan time")
		return nil
	}
	hour, err := e.get(r, "rds."+engine+"."+class+".hour")
	if err != nil {
		return err
	}
	azs := 1.0
	if boolean(v, "multi_az") {
		azs = 2
	}
	storage, _ := num(v, "allocated_storage")
	stype := str(v, "storage_type")
	if stype == "" {
		stype = "gp2"
	}
	sp, err := e.get(r, "rds.storage."+stype+".gb_month")
	if err != nil {
		return err
	}
	az := "single-AZ"
	if azs == 2 {
		az = "multi-AZ"
	}
	e.add(CatDatabase, r, name, fmt.Sprintf("%s %s %s × %s h × $%g", engine, class, az, fmtN(e.hours), hour), azs*e.hours*hour)
	e.add(CatDatabase, r, name+" storage", fmt.Sprintf("%s %s GB × $%g (backups up to the storage size are free)", stype, fmtN(storage*azs), sp), storage*azs*sp)
	if boolean(v, "manage_master_user_password") {
		return e.secret(r, name+" master password", "RDS-managed master secret")
	}
	return nil
}

func (e *estimator) cacheNodes(r *resource, name string) error {
	v := r.Values
	engine := str(v, "engine")
	if engine == "" {
		engine = "redis"
	}
	node := str(v, "node_type")
	if node == "" {
		e.unpriced(r, "node type unknown at plan time")
		return nil
	}
	nodes := 1.0
	if r.Type == "aws_elasticache_cluster" {
		if n, ok := num(v, "num_cache_nodes"); ok && n > 0 {
			nodes = n
		}
	} else if n, ok := num(v, "num_cache_clusters"); ok && n > 0 {
		nodes = n
	} else if g, ok := num(v, "num_node_groups"); ok && g > 0 {
		rep, _ := num(v, "replicas_per_node_group")
		nodes = g * (rep + 1)
	}
	hour, err := e.get(r, "elasticache."+engine+"."+node+".hour")
	if err != nil {
		return err
	}
	e.add(CatCache, r, name, fmt.Sprintf("%s %s × %s × %s h × $%g", engine, node, plural(nodes, "node"), fmtN(e.hours), hour), nodes*e.hours*hour)
	return nil
}

func (e *estimator) serverlessCache(r *resource, name string) error {
	engine := str(r.Values, "engine")
	minGB := 1.0 // Redis OSS and Memcached are metered at 1 GB at least
	if engine == "valkey" {
		minGB = 0.1 // Valkey: 100 MB
	}
	for _, lim := range blocks(r.Values, "cache_usage_limits") {
		for _, ds := range blocks(lim, "data_storage") {
			if m, ok := num(ds, "minimum"); ok && m > minGB {
				minGB = m
			}
		}
	}
	gbh, err := e.get(r, "elasticache_serverless."+engine+".gb_hour")
	if err != nil {
		return err
	}
	ecpu, err := e.get(r, "elasticache_serverless."+engine+".million_ecpu")
	if err != nil {
		return err
	}
	m := e.a.v(ServerlessCacheMECPU)
	e.add(CatCache, r, name, fmt.Sprintf("serverless %s minimum %g GB × %s h × $%g + %sM ECPU × $%g", engine, minGB, fmtN(e.hours), gbh, fmtN(m), ecpu), minGB*e.hours*gbh+m*ecpu)
	return nil
}

func (e *estimator) secretResource(r *resource, name string) error {
	return e.secret(r, name, "secret")
}

func (e *estimator) secret(r *resource, name, what string) error {
	price, err := e.get(r, "secretsmanager.secret_month")
	if err != nil {
		return err
	}
	callPrice, err := e.get(r, "secretsmanager.10k_api_calls")
	if err != nil {
		return err
	}
	calls := e.a.v(SecretsAPICallsPerSecret)
	e.add(CatSecrets, r, name, fmt.Sprintf("%s $%g + %s calls × $%g/10k", what, price, fmtN(calls), callPrice), price+calls/10000*callPrice)
	return nil
}

func (e *estimator) ecrRepository(r *resource, name string) error {
	gb := e.a.v(ECRGBPerRepository)
	price, err := e.get(r, "ecr.storage_gb_month")
	if err != nil {
		return err
	}
	e.add(CatRegistry, r, name, fmt.Sprintf("%s GB images (assumed) × $%g", fmtN(gb), price), gb*price)
	return nil
}
