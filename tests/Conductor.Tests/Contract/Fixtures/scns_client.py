# SCNS-Conductor's documented Python client, copied unchanged (up to its usage example) from
# docs/API_EXAMPLES.md of github.com/pi-pi-cat/scns-conductor at 7df02a6d1aff9dfc3c3fa819b0921ee5d3e9470f.
# ScnsPythonClientTests runs it against Conductor: this is what "works unchanged" means.
#!/usr/bin/env python3
"""
SCNS-Conductor Python 客户端示例
"""
import requests
import time
import json
from typing import Dict, Optional


class SCNSConductorClient:
    """SCNS-Conductor API 客户端"""
    
    def __init__(self, base_url: str = "http://localhost:8000"):
        self.base_url = base_url.rstrip('/')
    
    def submit_job(
        self,
        script: str,
        name: str,
        account: str,
        work_dir: str,
        cpus: int = 1,
        time_limit: str = "60",
        environment: Optional[Dict[str, str]] = None,
        partition: str = "default"
    ) -> int:
        """
        提交作业
        
        Args:
            script: 作业脚本内容
            name: 作业名称
            account: 账户名称
            work_dir: 工作目录
            cpus: CPU 核心数
            time_limit: 时间限制（分钟）
            environment: 环境变量字典
            partition: 分区名称
        
        Returns:
            作业 ID
        """
        payload = {
            "job": {
                "account": account,
                "environment": environment or {},
                "current_working_directory": work_dir,
                "standard_output": f"{name}.out",
                "standard_error": f"{name}.err",
                "ntasks_per_node": 1,
                "cpus_per_task": cpus,
                "memory_per_node": f"{cpus * 2}G",
                "name": name,
                "time_limit": time_limit,
                "partition": partition,
                "exclusive": False
            },
            "script": script
        }
        
        response = requests.post(
            f"{self.base_url}/jobs/submit",
            json=payload
        )
        response.raise_for_status()
        
        job_id = int(response.json()["job_id"])
        print(f"✓ 作业已提交: ID={job_id}")
        return job_id
    
    def query_job(self, job_id: int) -> Dict:
        """
        查询作业状态
        
        Args:
            job_id: 作业 ID
        
        Returns:
            作业信息字典
        """
        response = requests.get(f"{self.base_url}/jobs/query/{job_id}")
        response.raise_for_status()
        return response.json()
    
    def cancel_job(self, job_id: int) -> None:
        """
        取消作业
        
        Args:
            job_id: 作业 ID
        """
        response = requests.post(f"{self.base_url}/jobs/cancel/{job_id}")
        response.raise_for_status()
        print(f"✓ 作业 {job_id} 已取消")
    
    def wait_for_job(
        self,
        job_id: int,
        check_interval: int = 5,
        timeout: Optional[int] = None
    ) -> str:
        """
        等待作业完成
        
        Args:
            job_id: 作业 ID
            check_interval: 检查间隔（秒）
            timeout: 超时时间（秒）
        
        Returns:
            最终状态
        """
        start_time = time.time()
        
        while True:
            job_info = self.query_job(job_id)
            state = job_info["state"]
            
            print(f"作业 {job_id} 状态: {state}")
            
            if state in ["COMPLETED", "FAILED", "CANCELLED"]:
                return state
            
            if timeout and (time.time() - start_time) > timeout:
                raise TimeoutError(f"作业 {job_id} 等待超时")
            
            time.sleep(check_interval)
    
    def get_job_output(self, job_id: int) -> tuple[str, str]:
        """
        获取作业输出
        
        Args:
            job_id: 作业 ID
        
        Returns:
            (stdout, stderr) 元组
        """
        job_info = self.query_job(job_id)
        job_log = job_info["job_log"]
        return job_log["stdout"], job_log["stderr"]


